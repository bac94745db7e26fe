/**
 * Where login-throttle counters live: in this process (throttle-store-memory.ts), in Redis
 * shared by every instance (throttle-store-redis.ts), or Redis with a local fallback
 * (throttle-store-fallback.ts). Every operation is one atomic check-and-count, so concurrent
 * attempts cannot all slip through the same free slot.
 */

/** Exponential back-off per account, then a temporary hard stop (D6). */
export interface BackoffPolicy {
  /** Consecutive failures allowed with no delay. */
  freeFailures: number
  /** Delay after the first failure past the free ones; doubles with each further failure. */
  baseDelayMs: number
  maxDelayMs: number
  /** Consecutive failures that lock the account for lockMs (never more than 100, D6). */
  lockThreshold: number
  lockMs: number
  /** How long failures are remembered after the last one. */
  memoryMs: number
}

export interface Decision {
  allowed: boolean
  /** The count after this attempt when allowed, the current count when refused. */
  count: number
  /** 0 when allowed; else how long until the next attempt may be made. */
  retryAfterMs: number
}

export interface ThrottleStore {
  /**
   * If the account may try now, counts this attempt as a failure (undone by resetAccount on
   * success) and allows it; otherwise refuses it without counting.
   */
  acquireAccount: (key: string, now: number, policy: BackoffPolicy) => Promise<Decision>
  resetAccount: (key: string) => Promise<void>
  /** A fixed window of at most `limit` counted attempts; refused attempts are not counted. */
  acquireWindow: (key: string, now: number, limit: number, windowMs: number) => Promise<Decision>
  /** Gives back one counted attempt (a login that succeeded). */
  releaseWindow: (key: string, now: number) => Promise<void>
}

/** How long an account must wait after `failures` consecutive failures. */
export function backoffDelayMs (failures: number, policy: BackoffPolicy): number {
  if (failures >= policy.lockThreshold) return policy.lockMs
  if (failures < policy.freeFailures) return 0
  // The exponent is capped so the power never overflows before the min() applies.
  const exponent = Math.min(failures - policy.freeFailures, 40)
  return Math.min(policy.baseDelayMs * 2 ** exponent, policy.maxDelayMs)
}
