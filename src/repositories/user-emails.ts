import type { Kysely } from 'kysely'
import type { Database, UserRow } from '../db/schema.js'

/**
 * Addresses are compared case-insensitively: the whole address is lower-cased. (RFC 5321 lets a
 * server treat the local part as case-sensitive; none of the providers users have does, and two
 * accounts that differ only by case would be a takeover waiting to happen.)
 */
export function normalizeEmail (email: string): string {
  return email.toLowerCase()
}

/** The account whose VERIFIED address this is (K8: an unverified address is never used). */
export async function findUserByVerifiedEmail (db: Kysely<Database>, email: string): Promise<UserRow | undefined> {
  return await db.selectFrom('users').selectAll()
    .where('email_normalized', '=', normalizeEmail(email)).where('email_verified', '=', 1)
    .executeTakeFirst()
}

/** Sets the verified address; a unique violation (another account has it) propagates to the caller. */
export async function setVerifiedEmail (db: Kysely<Database>, userId: string, email: string, now: Date): Promise<boolean> {
  const result = await db.updateTable('users')
    .set({ email, email_normalized: normalizeEmail(email), email_verified: 1, updated_at: now.toISOString() })
    .where('id', '=', userId).where('disabled', '=', 0)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

/** A reset's new hash, written inside the reset's transaction (the token check is the condition there). */
export async function setPasswordHash (db: Kysely<Database>, userId: string, passwordHash: string, now: Date): Promise<boolean> {
  const result = await db.updateTable('users')
    .set({ password_hash: passwordHash, updated_at: now.toISOString() })
    .where('id', '=', userId).where('disabled', '=', 0)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}
