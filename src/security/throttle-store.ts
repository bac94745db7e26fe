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

/**
 * Every store keeps its own clock (Redis: its TIME; memory: the process's), so instances that
 * share a store agree on time, and a clock read before an await cannot make a concurrent
 * attempt look early (I6).
 */
export interface ThrottleStore {
  /** Refuses only while the account's back-off or lock is really running; never counts. */
  checkAccount: (key: string, policy: BackoffPolicy) => Promise<Decision>
  /** Counts one verified failure (after argon2 said the password is wrong); `count` is the total. */
  failAccount: (key: string, policy: BackoffPolicy) => Promise<Decision>
  resetAccount: (key: string) => Promise<void>
  /** Refuses once a fixed window holds `limit` failures; never counts. */
  checkWindow: (key: string, limit: number) => Promise<Decision>
  /** Counts one verified failure in the window (which starts at its first failure). */
  failWindow: (key: string, windowMs: number) => Promise<Decision>
}

/** Whether an account that has `failures` consecutive failures, the last at `lastFailureAt`, must still wait at `now`; how long. */
export function remainingDelayMs (failures: number, lastFailureAt: number, now: number, policy: BackoffPolicy): number {
  const delay = backoffDelayMs(failures, policy)
  // A delay of 0 never refuses, whatever the clocks say (I6).
  if (delay <= 0) return 0
  return Math.max(0, lastFailureAt + delay - now)
}

/** How long an account must wait after `failures` consecutive failures. */
export function backoffDelayMs (failures: number, policy: BackoffPolicy): number {
  if (failures >= policy.lockThreshold) return policy.lockMs
  if (failures < policy.freeFailures) return 0
  // The exponent is capped so the power never overflows before the min() applies.
  const exponent = Math.min(failures - policy.freeFailures, 40)
  return Math.min(policy.baseDelayMs * 2 ** exponent, policy.maxDelayMs)
}
