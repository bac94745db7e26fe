import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database, RecoveryTokenRow, RecoveryTokensTable } from '../db/schema.js'
import { generateRefreshToken as generateOpaqueToken, hashRefreshToken as hashOpaqueToken } from '../security/refresh-tokens.js'

export type RecoveryPurpose = RecoveryTokensTable['purpose']

export interface NewRecoveryToken {
  purpose: RecoveryPurpose
  userId: string
  ttlSeconds: number
  email?: string
  createdBy?: string
}

export interface IssuedRecoveryToken {
  id: string
  /** 256 random bits, base64url: goes to the user, never stored (K7). */
  token: string
  expiresAt: string
}

/**
 * A new single-use token. Earlier unused tokens of the same purpose for the user end here (in
 * the caller's transaction): only the newest link works, so an older mail that leaks later is
 * worthless.
 */
export async function issueRecoveryToken (db: Kysely<Database>, input: NewRecoveryToken, now: Date): Promise<IssuedRecoveryToken> {
  await supersedeRecoveryTokens(db, input.userId, input.purpose, now)
  const token = generateOpaqueToken()
  const id = randomUUID()
  const expiresAt = new Date(now.getTime() + input.ttlSeconds * 1000).toISOString()
  await db.insertInto('recovery_tokens').values({
    id,
    purpose: input.purpose,
    user_id: input.userId,
    token_hash: hashOpaqueToken(token),
    email: input.email ?? null,
    expires_at: expiresAt,
    consumed_at: null,
    created_at: now.toISOString(),
    created_by: input.createdBy ?? null
  }).execute()
  return { id, token, expiresAt }
}

/** Ends every unused token of this purpose for the user (a new one was issued, or one was used). */
export async function supersedeRecoveryTokens (db: Kysely<Database>, userId: string, purpose: RecoveryPurpose, now: Date): Promise<void> {
  await db.updateTable('recovery_tokens').set({ consumed_at: now.toISOString() })
    .where('user_id', '=', userId).where('purpose', '=', purpose).where('consumed_at', 'is', null)
    .execute()
}

/** The live token of this purpose, without using it (a cheap check before slow work such as argon2). */
export async function findLiveRecoveryToken (db: Kysely<Database>, purpose: RecoveryPurpose, token: string, now: Date): Promise<RecoveryTokenRow | undefined> {
  return await db.selectFrom('recovery_tokens').selectAll()
    .where('token_hash', '=', hashOpaqueToken(token)).where('purpose', '=', purpose)
    .where('consumed_at', 'is', null).where('expires_at', '>', now.toISOString())
    .executeTakeFirst()
}

/**
 * Uses the token: one conditional UPDATE, so of two requests racing with one token exactly one
 * gets the row (in PostgreSQL the second waits for the first's transaction, then matches
 * nothing). Undefined for an unknown, used, expired or other-purpose token (K7).
 */
export async function consumeRecoveryToken (db: Kysely<Database>, purpose: RecoveryPurpose, token: string, now: Date): Promise<RecoveryTokenRow | undefined> {
  const nowIso = now.toISOString()
  return await db.updateTable('recovery_tokens').set({ consumed_at: nowIso })
    .where('token_hash', '=', hashOpaqueToken(token)).where('purpose', '=', purpose)
    .where('consumed_at', 'is', null).where('expires_at', '>', nowIso)
    .returningAll()
    .executeTakeFirst()
}

/** How many tokens of this purpose were mailed to the user since `since` (the per-address limit). */
export async function countMailedTokensSince (db: Kysely<Database>, userId: string, purpose: RecoveryPurpose, since: Date): Promise<number> {
  const row = await db.selectFrom('recovery_tokens').select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('user_id', '=', userId).where('purpose', '=', purpose).where('created_by', 'is', null)
    .where('created_at', '>', since.toISOString())
    .executeTakeFirstOrThrow()
  return Number(row.n)
}
