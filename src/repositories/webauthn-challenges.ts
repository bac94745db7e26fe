import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'

export type ChallengePurpose = 'registration' | 'authentication'

/** WebAuthn challenges live at most this long (K6); the options' timeout says the same to the browser. */
export const CHALLENGE_TTL_SECONDS = 300

export interface NewChallenge {
  challenge: string
  purpose: ChallengePurpose
  userId: string | null
}

/** Stores a challenge handed out now; returns its id. */
export async function storeChallenge (db: Kysely<Database>, input: NewChallenge, now: Date): Promise<string> {
  const id = randomUUID()
  await db.insertInto('webauthn_challenges').values({
    id,
    challenge: input.challenge,
    purpose: input.purpose,
    user_id: input.userId,
    expires_at: new Date(now.getTime() + CHALLENGE_TTL_SECONDS * 1000).toISOString(),
    consumed_at: null,
    created_at: now.toISOString()
  }).execute()
  return id
}

/** Which stored challenge a response may consume: its value, its purpose, whom it is bound to, and optionally its id. */
export interface ChallengeClaim {
  challenge: string
  purpose: ChallengePurpose
  /** The user the challenge must be bound to; null: a challenge bound to nobody (discoverable login). */
  userId: string | null
  id?: string
}

/**
 * Consumes a challenge: one conditional UPDATE, so of concurrent responses carrying the same
 * challenge exactly one wins, on SQLite and PostgreSQL alike; an expired, used, unknown, or
 * differently bound challenge changes no row (K6). True when this call consumed it.
 */
export async function consumeChallenge (db: Kysely<Database>, claim: ChallengeClaim, now: Date): Promise<boolean> {
  const nowIso = now.toISOString()
  let query = db.updateTable('webauthn_challenges').set({ consumed_at: nowIso })
    .where('challenge', '=', claim.challenge)
    .where('purpose', '=', claim.purpose)
    .where('consumed_at', 'is', null)
    .where('expires_at', '>', nowIso)
  query = claim.userId === null ? query.where('user_id', 'is', null) : query.where('user_id', '=', claim.userId)
  if (claim.id !== undefined) query = query.where('id', '=', claim.id)
  const result = await query.executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}
