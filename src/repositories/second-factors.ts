import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database, MfaFactorRow } from '../db/schema.js'

/** Confirmed authenticator apps one account may hold; enough for a spare phone, few enough to list. */
export const MAX_CONFIRMED_TOTP_FACTORS = 5

export async function insertTotpFactor (db: Kysely<Database>, factor: { id: string, userId: string, name: string, secretEncrypted: string }, now: Date): Promise<void> {
  // An abandoned enrolment is never confirmed: the new one replaces it.
  await db.deleteFrom('mfa_factors').where('user_id', '=', factor.userId).where('confirmed_at', 'is', null).execute()
  await db.insertInto('mfa_factors').values({
    id: factor.id,
    user_id: factor.userId,
    type: 'totp',
    name: factor.name,
    secret_encrypted: factor.secretEncrypted,
    confirmed_at: null,
    created_at: now.toISOString(),
    last_used_at: null
  }).execute()
}

export async function findUserFactor (db: Kysely<Database>, userId: string, factorId: string): Promise<MfaFactorRow | undefined> {
  return await db.selectFrom('mfa_factors').selectAll().where('id', '=', factorId).where('user_id', '=', userId).executeTakeFirst()
}

export async function listConfirmedFactors (db: Kysely<Database>, userId: string): Promise<MfaFactorRow[]> {
  return await db.selectFrom('mfa_factors').selectAll()
    .where('user_id', '=', userId).where('confirmed_at', 'is not', null)
    .orderBy('created_at', 'asc').orderBy('id', 'asc')
    .execute()
}

/**
 * Accepts a TOTP code's time step for a factor only when it is later than the last one
 * accepted: one conditional UPDATE, so a code works once even when two requests race (K1).
 * `confirm` also turns a pending factor into a confirmed one.
 */
export async function acceptTotpStep (db: Kysely<Database>, factorId: string, step: number, now: Date, confirm = false): Promise<boolean> {
  let query = db.updateTable('mfa_factors')
    .set({ last_used_step: step, last_used_at: now.toISOString(), ...(confirm ? { confirmed_at: now.toISOString() } : {}) })
    .where('id', '=', factorId).where('last_used_step', '<', step)
  query = confirm ? query.where('confirmed_at', 'is', null) : query.where('confirmed_at', 'is not', null)
  const result = await query.executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

export async function deleteUserFactor (db: Kysely<Database>, userId: string, factorId: string): Promise<boolean> {
  const result = await db.deleteFrom('mfa_factors').where('id', '=', factorId).where('user_id', '=', userId).where('confirmed_at', 'is not', null).executeTakeFirst()
  return Number(result.numDeletedRows) === 1
}

/** A new set of recovery codes: the old set stops working in the same transaction (K2). */
export async function replaceRecoveryCodes (db: Kysely<Database>, userId: string, hashes: string[], now: Date): Promise<void> {
  await db.deleteFrom('recovery_codes').where('user_id', '=', userId).execute()
  await db.insertInto('recovery_codes').values(hashes.map((hash) => ({ id: randomUUID(), user_id: userId, code_hash: hash, created_at: now.toISOString(), used_at: null }))).execute()
}

export async function deleteRecoveryCodes (db: Kysely<Database>, userId: string): Promise<void> {
  await db.deleteFrom('recovery_codes').where('user_id', '=', userId).execute()
}

export async function countUnusedRecoveryCodes (db: Kysely<Database>, userId: string): Promise<number> {
  const row = await db.selectFrom('recovery_codes').select((eb) => eb.fn.countAll<string | number>().as('n'))
    .where('user_id', '=', userId).where('used_at', 'is', null).executeTakeFirst()
  return Number(row?.n ?? 0)
}

/** Uses a recovery code of this user; false when it is unknown, another user's or already used (single use, K2). */
export async function useRecoveryCode (db: Kysely<Database>, userId: string, hash: string, now: Date): Promise<boolean> {
  const result = await db.updateTable('recovery_codes').set({ used_at: now.toISOString() })
    .where('code_hash', '=', hash).where('user_id', '=', userId).where('used_at', 'is', null)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

export async function hasUnusedRecoveryCode (db: Kysely<Database>, userId: string, hash: string): Promise<boolean> {
  const row = await db.selectFrom('recovery_codes').select('id')
    .where('code_hash', '=', hash).where('user_id', '=', userId).where('used_at', 'is', null).executeTakeFirst()
  return row !== undefined
}
