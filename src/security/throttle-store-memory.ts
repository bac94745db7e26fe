import { backoffDelayMs, type BackoffPolicy, type Decision, type ThrottleStore } from './throttle-store.js'

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
 * Redis is down. JavaScript runs each operation to completion, so each one is atomic.
 */
export class MemoryThrottleStore implements ThrottleStore {
  private readonly entries = new Map<string, Entry>()

  constructor (private readonly maxEntries = DEFAULT_MAX_ENTRIES) {}

  get size (): number {
    return this.entries.size
  }

  async acquireAccount (key: string, now: number, policy: BackoffPolicy): Promise<Decision> {
    const entry = this.live(key, now)
    const failures = entry?.count ?? 0
    const readyAt = (entry?.at ?? 0) + backoffDelayMs(failures, policy)
    if (failures > 0 && now < readyAt) return { allowed: false, count: failures, retryAfterMs: readyAt - now }
    this.put(key, { count: failures + 1, at: now, expiresAt: now + policy.memoryMs }, now)
    return { allowed: true, count: failures + 1, retryAfterMs: 0 }
  }

  async resetAccount (key: string): Promise<void> {
    this.entries.delete(key)
  }

  async acquireWindow (key: string, now: number, limit: number, windowMs: number): Promise<Decision> {
    const entry = this.live(key, now) ?? { count: 0, at: now, expiresAt: now + windowMs }
    if (entry.count >= limit) return { allowed: false, count: entry.count, retryAfterMs: entry.expiresAt - now }
    this.put(key, { ...entry, count: entry.count + 1 }, now)
    return { allowed: true, count: entry.count + 1, retryAfterMs: 0 }
  }

  async releaseWindow (key: string, now: number): Promise<void> {
    const entry = this.live(key, now)
    if (entry !== undefined && entry.count > 0) entry.count--
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
