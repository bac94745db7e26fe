import { sql, type Kysely } from 'kysely'
import type { Dialect } from '../db/database.js'
import type { Database } from '../db/schema.js'
import { pruneExpiredRows, type PruneCounts, type PruneCutoffs } from '../repositories/prune.js'

/** pg_try_advisory_lock key of the prune job (any constant unique to this service; "prune" in ASCII). */
export const PRUNE_LOCK_KEY = 0x7072756e
/**
 * How long an ended session is kept: its access tokens live ACCESS_TOKEN_TTL at most, and the
 * revocation list loads revocations of the last ACCESS_TOKEN_TTL + 60 s; an hour more keeps
 * a wide margin for clock skew and for the sessions list of a user who just logged out.
 */
export const SESSION_RETENTION_MARGIN_SECONDS = 3600
/** Expired recovery tokens are kept a day: the per-address mail limit counts the last hour's. */
export const RECOVERY_TOKEN_RETENTION_SECONDS = 86400

export interface PrunePolicy {
  accessTokenTtlSeconds: number
  auditRetentionDays: number
}

export function cutoffsAt (now: Date, policy: PrunePolicy): PruneCutoffs {
  const before = (seconds: number): string => new Date(now.getTime() - seconds * 1000).toISOString()
  const ended = before(policy.accessTokenTtlSeconds + SESSION_RETENTION_MARGIN_SECONDS)
  return {
    now: now.toISOString(),
    sessionsEndedBefore: ended,
    deviceTokensEndedBefore: ended,
    auditBefore: before(policy.auditRetentionDays * 86400),
    recoveryTokensExpiredBefore: before(RECOVERY_TOKEN_RETENTION_SECONDS)
  }
}

/**
 * One prune run. Safe on every instance: on PostgreSQL only the instance holding the advisory
 * lock prunes (the others skip, returning null); the lock is taken and released on one
 * connection, and dies with it if the connection does. SQLite is one process's file.
 */
export async function runPrune (db: Kysely<Database>, dialect: Dialect, policy: PrunePolicy, now = new Date()): Promise<PruneCounts | null> {
  const cutoffs = cutoffsAt(now, policy)
  if (dialect === 'sqlite') return await pruneExpiredRows(db, cutoffs)
  return await db.connection().execute(async (connection) => {
    const locked = await sql<{ locked: boolean }>`select pg_try_advisory_lock(${PRUNE_LOCK_KEY}) as locked`.execute(connection)
    if (locked.rows[0]?.locked !== true) return null
    try {
      return await pruneExpiredRows(connection, cutoffs)
    } finally {
      await sql`select pg_advisory_unlock(${PRUNE_LOCK_KEY})`.execute(connection)
    }
  })
}

export interface PruneJob {
  /** Stops the timers and waits for a run in progress (bounded by the statement timeouts). */
  stop: () => Promise<void>
}

export interface PruneJobOptions {
  db: Kysely<Database>
  dialect: Dialect
  policy: PrunePolicy
  intervalSeconds: number
  /** Delay before the first run: shortly after start, not during it, and not on every instance at once. */
  firstRunMs: number
  onResult: (counts: PruneCounts | null, ms: number) => void
  onError: (error: unknown) => void
}

/** Runs the prune every intervalSeconds; the timers never keep the process alive. */
export function startPruneJob (options: PruneJobOptions): PruneJob {
  let running: Promise<void> | null = null
  let stopped = false
  const tick = (): void => {
    if (stopped || running !== null) return
    const started = Date.now()
    running = runPrune(options.db, options.dialect, options.policy)
      .then((counts) => { options.onResult(counts, Date.now() - started) }, options.onError)
      .finally(() => { running = null })
  }
  const first = setTimeout(tick, options.firstRunMs)
  first.unref()
  const interval = setInterval(tick, options.intervalSeconds * 1000)
  interval.unref()
  return {
    stop: async () => {
      stopped = true
      clearTimeout(first)
      clearInterval(interval)
      await running
    }
  }
}
