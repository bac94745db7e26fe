import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import type { AuditRow } from './audit-event.js'
import { clientAddressKey } from '../security/login-throttle.js'
import { upsertAggregatedRow } from './audit-store.js'

/** Buckets kept in memory between flushes; past it, a flush starts at once. */
const MAX_PENDING_BUCKETS = 5000

type Pending = AuditRow & { bucket: string, count: number }

/**
 * Denials (rejected tokens, missing credentials, refused roles) can arrive as a flood: a
 * database row per request would let an attacker turn junk into write load. They are counted
 * here per actor (the user, or the address when there is none), type and minute, and flushed
 * to `audit_events` as one row per bucket whose `count` grows (J2). Nothing is dropped:
 * a flush that fails keeps its counts for the next one.
 */
export class DenialAggregator {
  private pending = new Map<string, Pending>()
  private flushing: Promise<void> | null = null
  private timer: NodeJS.Timeout | null = null

  constructor (private readonly db: Kysely<Database>, private readonly onError: (error: unknown) => void) {}

  start (intervalMs: number): void {
    this.timer = setInterval(() => { void this.flush() }, intervalMs)
    this.timer.unref()
  }

  async stop (): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
    await this.flush()
  }

  add (row: AuditRow): void {
    this.count(row.type, row.actor_id ?? null, row.ip ?? null, new Date(row.at), () => row)
  }

  /**
   * Counts one denial; `build` makes the row only for the first event of a bucket, so a flood
   * costs a map lookup per request, not a row (UUID, JSON) per request.
   */
  count (type: string, actorId: string | null, ip: string | null, at: Date, build: () => AuditRow): void {
    // Without a user, the client's address as the limits group it (IPv6 by /64), so rotating
    // addresses within one subscriber's range still lands in one row.
    const actor = actorId ?? `ip:${ip === null ? 'unknown' : clientAddressKey(ip)}`
    const bucket = `${type}|${actor}|${at.toISOString().slice(0, 16)}`
    const existing = this.pending.get(bucket)
    if (existing !== undefined) {
      existing.count += 1
      return
    }
    // The first event of the bucket is the row's face: its time, request id and details.
    this.pending.set(bucket, { ...build(), bucket, count: 1 })
    if (this.pending.size >= MAX_PENDING_BUCKETS) void this.flush()
  }

  /**
   * Writes every bucket pending when called (and whatever arrives while it waits): one writer
   * at a time, so a caller that finds a flush running waits for it and then writes the rest.
   * A bucket whose write fails stays pending for the next interval, so this returns once each
   * bucket had one try.
   */
  async flush (): Promise<void> {
    for (let pass = 0; pass < 3; pass++) {
      if (this.flushing !== null) {
        await this.flushing
        continue
      }
      if (this.pending.size === 0) return
      const batch = this.pending
      this.pending = new Map()
      this.flushing = this.write(batch).finally(() => { this.flushing = null })
      await this.flushing
      return
    }
  }

  private async write (batch: Map<string, Pending>): Promise<void> {
    for (const [bucket, row] of batch) {
      try {
        await upsertAggregatedRow(this.db, row)
      } catch (error) {
        // Kept for the next flush (the count adds up), never dropped.
        const later = this.pending.get(bucket)
        if (later === undefined) this.pending.set(bucket, row)
        else later.count += row.count
        this.onError(error)
      }
    }
  }
}
