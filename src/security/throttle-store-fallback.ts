import type { BackoffPolicy, Decision, ThrottleStore } from './throttle-store.js'

export interface FallbackOptions {
  /** False while the primary is known to be unreachable, so no attempt waits on it. */
  isPrimaryReady: () => boolean
  onPrimaryError: (error: unknown) => void
  /** After a failure, the primary is skipped this long (a hung Redis costs one timeout, not one per call). */
  cooldownMs?: number
  /** A primary answer slower than this is not waited for (tighter than the Redis client's own timeout). */
  timeoutMs?: number
  now?: () => number
}

/**
 * Redis first, this process's memory when Redis fails: login throttling degrades to
 * per-instance limits during an outage instead of failing open (no limit at all) or closed
 * (no logins at all). See the README, "Rate limits when Redis is down".
 */
export class FallbackThrottleStore implements ThrottleStore {
  private skipUntil = 0
  private readonly cooldownMs: number
  private readonly timeoutMs: number
  private readonly now: () => number

  constructor (private readonly primary: ThrottleStore, private readonly fallback: ThrottleStore, private readonly options: FallbackOptions) {
    this.cooldownMs = options.cooldownMs ?? 2000
    this.timeoutMs = options.timeoutMs ?? 250
    this.now = options.now ?? Date.now
  }

  async checkAccount (key: string, policy: BackoffPolicy): Promise<Decision> {
    return await this.use(async (store) => await store.checkAccount(key, policy))
  }

  async failAccount (key: string, policy: BackoffPolicy): Promise<Decision> {
    return await this.use(async (store) => await store.failAccount(key, policy))
  }

  async resetAccount (key: string): Promise<void> {
    // Both: a success during an outage must not leave a stale local back-off behind.
    await this.fallback.resetAccount(key)
    await this.use(async (store) => { if (store === this.primary) await store.resetAccount(key) })
  }

  async checkWindow (key: string, limit: number): Promise<Decision> {
    return await this.use(async (store) => await store.checkWindow(key, limit))
  }

  async failWindow (key: string, windowMs: number): Promise<Decision> {
    return await this.use(async (store) => await store.failWindow(key, windowMs))
  }

  private async use<T> (operation: (store: ThrottleStore) => Promise<T>): Promise<T> {
    if (this.now() >= this.skipUntil && this.options.isPrimaryReady()) {
      try {
        return await this.withinTimeout(operation(this.primary))
      } catch (error) {
        this.skipUntil = this.now() + this.cooldownMs
        this.options.onPrimaryError(error)
      }
    }
    return await operation(this.fallback)
  }

  private async withinTimeout<T> (work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => { reject(new Error(`throttle store did not answer within ${this.timeoutMs} ms`)) }, this.timeoutMs)
    })
    try {
      // race() subscribes to both, so a late rejection of the abandoned work is handled.
      return await Promise.race([work, timeout])
    } finally {
      clearTimeout(timer)
    }
  }
}
