import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database, MfaChallengeRow } from '../db/schema.js'
import { generateRefreshToken as generateOpaqueToken, hashRefreshToken as hashOpaqueToken } from '../security/refresh-tokens.js'

/** K3: at most 5 minutes between the password step and the second factor. */
export const MFA_TOKEN_TTL_SECONDS = 300
/** Wrong codes one mfa_token may take before it is dead (the login throttle counts them too). */
export const MFA_TOKEN_MAX_FAILURES = 5

export interface NewMfaChallenge {
  userId: string
  /** The epoch the password step read: the second step fails if it moved (I1). */
  authVersion: number
  passwordAt: Date
  /** The device token the password step carried, for throttling and its renewal (I7). */
  deviceId: string | null
}

/** The password step's result: 256 random bits for the client, only the hash kept. */
export async function insertMfaChallenge (db: Kysely<Database>, challenge: NewMfaChallenge, now: Date): Promise<{ token: string, expiresIn: number }> {
  const token = generateOpaqueToken()
  await db.insertInto('mfa_challenges').values({
    id: randomUUID(),
    token_hash: hashOpaqueToken(token),
    user_id: challenge.userId,
    auth_version: challenge.authVersion,
    password_at: challenge.passwordAt.toISOString(),
    device_id: challenge.deviceId,
    created_at: now.toISOString(),
    expires_at: new Date(now.getTime() + MFA_TOKEN_TTL_SECONDS * 1000).toISOString(),
    consumed_at: null
  }).execute()
  return { token, expiresIn: MFA_TOKEN_TTL_SECONDS }
}

/** A challenge that can still be answered: unused, unexpired, not worn out by wrong codes. */
export async function findLiveMfaChallenge (db: Kysely<Database>, token: string, now: Date): Promise<MfaChallengeRow | undefined> {
  return await db.selectFrom('mfa_challenges').selectAll()
    .where('token_hash', '=', hashOpaqueToken(token))
    .where('consumed_at', 'is', null)
    .where('expires_at', '>', now.toISOString())
    .where('failed_attempts', '<', MFA_TOKEN_MAX_FAILURES)
    .executeTakeFirst()
}

/** Single use: of concurrent answers, exactly one consumes it (inside the sign-in's transaction). */
export async function consumeMfaChallenge (db: Kysely<Database>, id: string, now: Date): Promise<boolean> {
  const result = await db.updateTable('mfa_challenges').set({ consumed_at: now.toISOString() })
    .where('id', '=', id).where('consumed_at', 'is', null).where('expires_at', '>', now.toISOString())
    .where('failed_attempts', '<', MFA_TOKEN_MAX_FAILURES)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

export async function recordMfaFailure (db: Kysely<Database>, id: string): Promise<void> {
  await db.updateTable('mfa_challenges').set((eb) => ({ failed_attempts: eb('failed_attempts', '+', 1) })).where('id', '=', id).execute()
}
