import { remainingDelayMs, type BackoffPolicy, type Decision, type ThrottleStore } from './throttle-store.js'

interface Entry {
  count: number
  /** Last failure (accounts) or window start (windows). */
  at: number
  expiresAt: number
}

/** Bounds memory against floods of random usernames; the oldest entries go first. */
export const DEFAULT_MAX_ENTRIES = 100_000

/**
 * Counters in this process: the store without REDIS_URL, and the per-instance fallback while
 * Redis is down. JavaScript runs each operation to completion, so each one is atomic, and the
 * clock is read inside it.
 */
export class MemoryThrottleStore implements ThrottleStore {
  private readonly entries = new Map<string, Entry>()

  constructor (private readonly maxEntries = DEFAULT_MAX_ENTRIES, private readonly clock: () => number = Date.now) {}

  get size (): number {
    return this.entries.size
  }

  async checkAccount (key: string, policy: BackoffPolicy): Promise<Decision> {
    const now = this.clock()
    const entry = this.live(key, now)
    const failures = entry?.count ?? 0
    const wait = entry === undefined ? 0 : remainingDelayMs(failures, entry.at, now, policy)
    return { allowed: wait === 0, count: failures, retryAfterMs: wait }
  }

  async failAccount (key: string, policy: BackoffPolicy): Promise<Decision> {
    const now = this.clock()
    const failures = (this.live(key, now)?.count ?? 0) + 1
    this.put(key, { count: failures, at: now, expiresAt: now + policy.memoryMs }, now)
    return { allowed: true, count: failures, retryAfterMs: 0 }
  }

  async resetAccount (key: string): Promise<void> {
    this.entries.delete(key)
  }

  async checkWindow (key: string, limit: number): Promise<Decision> {
    const now = this.clock()
    const entry = this.live(key, now)
    if (entry === undefined || entry.count < limit) return { allowed: true, count: entry?.count ?? 0, retryAfterMs: 0 }
    return { allowed: false, count: entry.count, retryAfterMs: entry.expiresAt - now }
  }

  async failWindow (key: string, windowMs: number): Promise<Decision> {
    const now = this.clock()
    const entry = this.live(key, now) ?? { count: 0, at: now, expiresAt: now + windowMs }
    this.put(key, { ...entry, count: entry.count + 1 }, now)
    return { allowed: true, count: entry.count + 1, retryAfterMs: 0 }
  }

  private live (key: string, now: number): Entry | undefined {
    const entry = this.entries.get(key)
    if (entry === undefined) return undefined
    if (entry.expiresAt <= now) {
      this.entries.delete(key)
      return undefined
    }
    return entry
  }

  /** Re-inserting moves the key to the end, so eviction drops the least recently counted. */
  private put (key: string, entry: Entry, now: number): void {
    this.entries.delete(key)
    this.entries.set(key, entry)
    if (this.entries.size <= this.maxEntries) return
    for (const [other, value] of this.entries) {
      if (value.expiresAt <= now) this.entries.delete(other)
    }
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value
      if (oldest === undefined) break
      this.entries.delete(oldest)
    }
  }
}
