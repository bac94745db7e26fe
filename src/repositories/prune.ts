import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'

/** Rows deleted per statement: each stays far inside the request statement bound (2 s). */
export const PRUNE_BATCH = 1000
/** Batches per table and run; what is left waits for the next run, so one run stays short. */
export const PRUNE_MAX_BATCHES = 50

/** The instants (ISO strings) before which each kind of row no longer matters. */
export interface PruneCutoffs {
  /** Now: a session that ended before now can never refresh, so its refresh tokens are dead. */
  now: string
  /** Sessions ended (revoked, expired or idle) before this are deleted: no access token of theirs lives, and the revocation list no longer loads them. */
  sessionsEndedBefore: string
  /** Device tokens expired or revoked before this are deleted. */
  deviceTokensEndedBefore: string
  /** Audit rows older than this are deleted (AUDIT_RETENTION_DAYS). */
  auditBefore: string
  /** Recovery tokens that expired before this are deleted (kept a day: the per-address mail limit counts the last hour). */
  recoveryTokensExpiredBefore: string
}

export interface PruneCounts {
  refreshTokens: number
  sessions: number
  deviceTokens: number
  auditEvents: number
  webauthnChallenges: number
  recoveryTokens: number
}

async function inBatches (deleteBatch: () => Promise<number>): Promise<number> {
  let total = 0
  for (let batch = 0; batch < PRUNE_MAX_BATCHES; batch++) {
    const deleted = await deleteBatch()
    total += deleted
    if (deleted < PRUNE_BATCH) break
  }
  return total
}

/**
 * Refresh tokens of sessions that have ended. A rotated token of a live session stays: it is
 * what detects a replay (presenting it ends the session). Once the session has ended, every
 * token of it is refused before reuse is even looked at, so none of them matters any more.
 */
async function pruneRefreshTokens (db: Kysely<Database>, now: string): Promise<number> {
  return await inBatches(async () => {
    const result = await db.deleteFrom('refresh_tokens')
      .where('token_hash', 'in', (eb) => eb.selectFrom('refresh_tokens')
        .innerJoin('sessions', 'sessions.id', 'refresh_tokens.session_id')
        .select('refresh_tokens.token_hash')
        .where((s) => s.or([s('sessions.revoked_at', 'is not', null), s('sessions.expires_at', '<=', now), s('sessions.idle_expires_at', '<=', now)]))
        .limit(PRUNE_BATCH))
      .executeTakeFirst()
    return Number(result.numDeletedRows)
  })
}

/** Sessions that ended long enough ago (their refresh tokens go with them, by cascade, if any are left). */
async function pruneSessions (db: Kysely<Database>, before: string): Promise<number> {
  return await inBatches(async () => {
    const result = await db.deleteFrom('sessions')
      .where('id', 'in', (eb) => eb.selectFrom('sessions').select('id')
        .where((s) => s.or([s('revoked_at', '<', before), s('expires_at', '<', before), s('idle_expires_at', '<', before)]))
        .limit(PRUNE_BATCH))
      .executeTakeFirst()
    return Number(result.numDeletedRows)
  })
}

async function pruneDeviceTokens (db: Kysely<Database>, before: string): Promise<number> {
  return await inBatches(async () => {
    const result = await db.deleteFrom('device_tokens')
      .where('id', 'in', (eb) => eb.selectFrom('device_tokens').select('id')
        .where((s) => s.or([s('expires_at', '<', before), s('revoked_at', '<', before)]))
        .limit(PRUNE_BATCH))
      .executeTakeFirst()
    return Number(result.numDeletedRows)
  })
}

async function pruneAuditEvents (db: Kysely<Database>, before: string): Promise<number> {
  return await inBatches(async () => {
    const result = await db.deleteFrom('audit_events')
      .where('id', 'in', (eb) => eb.selectFrom('audit_events').select('id').where('at', '<', before).limit(PRUNE_BATCH))
      .executeTakeFirst()
    return Number(result.numDeletedRows)
  })
}

/** WebAuthn challenges past their 5 minutes, used or not: none can be consumed any more (K6, I5). */
async function pruneWebauthnChallenges (db: Kysely<Database>, now: string): Promise<number> {
  return await inBatches(async () => {
    const result = await db.deleteFrom('webauthn_challenges')
      .where('id', 'in', (eb) => eb.selectFrom('webauthn_challenges').select('id').where('expires_at', '<=', now).limit(PRUNE_BATCH))
      .executeTakeFirst()
    return Number(result.numDeletedRows)
  })
}

async function pruneRecoveryTokens (db: Kysely<Database>, before: string): Promise<number> {
  return await inBatches(async () => {
    const result = await db.deleteFrom('recovery_tokens')
      .where('id', 'in', (eb) => eb.selectFrom('recovery_tokens').select('id').where('expires_at', '<', before).limit(PRUNE_BATCH))
      .executeTakeFirst()
    return Number(result.numDeletedRows)
  })
}

/** Deletes every row that can no longer matter; each statement is a short batch of its own. */
export async function pruneExpiredRows (db: Kysely<Database>, cutoffs: PruneCutoffs): Promise<PruneCounts> {
  const refreshTokens = await pruneRefreshTokens(db, cutoffs.now)
  const sessions = await pruneSessions(db, cutoffs.sessionsEndedBefore)
  const deviceTokens = await pruneDeviceTokens(db, cutoffs.deviceTokensEndedBefore)
  const auditEvents = await pruneAuditEvents(db, cutoffs.auditBefore)
  const webauthnChallenges = await pruneWebauthnChallenges(db, cutoffs.now)
  const recoveryTokens = await pruneRecoveryTokens(db, cutoffs.recoveryTokensExpiredBefore)
  return { refreshTokens, sessions, deviceTokens, auditEvents, webauthnChallenges, recoveryTokens }
}
