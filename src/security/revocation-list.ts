import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { listRevokedSince } from '../repositories/sessions.js'

/**
 * Which sessions are revoked, kept in memory so the protected path costs a Map lookup, not a
 * database round trip. The instance that revokes a session marks it here at once; other
 * instances learn it on their next poll (REVOCATION_POLL_INTERVAL seconds at most). Entries
 * are kept only as long as an access token issued before the revocation can live.
 */
export class RevocationList {
  private readonly revoked = new Map<string, number>()
  private syncedUntil = 0
  private timer: NodeJS.Timeout | undefined
  private broadcast: ((sessionIds: string[]) => void) | undefined

  constructor (
    private readonly db: Kysely<Database>,
    private readonly accessTokenTtlSeconds: number,
    private readonly pollSeconds: number
  ) {}

  isRevoked (sessionId: string): boolean {
    return this.revoked.has(sessionId)
  }

  /** Records revocations made by this instance, and tells the others when a broadcaster is set. */
  markRevoked (sessionIds: Iterable<string>): void {
    const ids = [...sessionIds]
    this.receive(ids)
    if (ids.length > 0) this.broadcast?.(ids)
  }

  /** Records revocations another instance announced. */
  receive (sessionIds: Iterable<string>): void {
    const now = Date.now()
    for (const id of sessionIds) this.revoked.set(id, now)
  }

  /** With Redis, revocations reach other instances at once; the database poll stays the safety net. */
  setBroadcaster (broadcast: (sessionIds: string[]) => void): void {
    this.broadcast = broadcast
  }

  /** Loads every revocation that may still matter; later calls fetch only what is new. */
  async sync (): Promise<void> {
    const now = Date.now()
    const horizon = now - (this.accessTokenTtlSeconds + 60) * 1000
    // Overlap the previous window so a revocation committed late (or on a skewed clock) is not missed.
    const since = Math.max(horizon, this.syncedUntil - 2 * this.pollSeconds * 1000 - 5000)
    const rows = await listRevokedSince(this.db, new Date(since).toISOString())
    for (const row of rows) this.revoked.set(row.id, Date.parse(row.revoked_at))
    for (const [id, revokedAt] of this.revoked) {
      if (revokedAt < horizon) this.revoked.delete(id)
    }
    this.syncedUntil = now
  }

  start (onError: (error: unknown) => void): void {
    this.timer = setInterval(() => { this.sync().catch(onError) }, this.pollSeconds * 1000)
    this.timer.unref()
  }

  stop (): void {
    if (this.timer !== undefined) clearInterval(this.timer)
  }

  get size (): number {
    return this.revoked.size
  }
}
