import { normalizeIP } from '@fastify/rate-limit'
import { HttpProblem, tooManyRequests } from '../lib/problems.js'
import { normalizeUsername } from '../repositories/users.js'
import type { BackoffPolicy, ThrottleStore } from './throttle-store.js'

export interface LoginThrottleSettings {
  freeFailures: number
  lockThreshold: number
  lockSeconds: number
  /** Failed logins allowed per client address (IPv6: per /64) in one window, across usernames. */
  addressMaxFailures: number
  addressWindowSeconds?: number
  baseDelaySeconds?: number
  maxDelaySeconds?: number
}

/** The back-off doubles from 1 s and stops growing at 15 minutes (OWASP Authentication Cheat Sheet). */
const BASE_DELAY_SECONDS = 1
const MAX_DELAY_SECONDS = 15 * 60
const ADDRESS_WINDOW_SECONDS = 15 * 60
/** Failures are forgotten a day after the last one, or after the lock, whichever is later. */
const MEMORY_SECONDS = 24 * 60 * 60

/**
 * The address a limit is keyed on: an IPv4 address, or the /64 an IPv6 address belongs to
 * (one subscriber usually holds a whole /64). Same grouping as the @fastify/rate-limit limits.
 */
export function clientAddressKey (ip: string): string {
  try {
    return normalizeIP(ip, 64)
  } catch {
    // Not an address a socket would report; still a stable key of its own.
    return ip.toLowerCase()
  }
}

export interface FailureRecord {
  /** Consecutive failures of the account (or device), this one included. */
  failures: number
  /** True when this failure started a hard-stop lock window. */
  locked: boolean
}

export interface AllowedAttempt {
  allowed: true
  /** Call once argon2 has said the password is wrong: the only thing that counts as a failure (I6). */
  failed: () => Promise<FailureRecord>
  /** Call after a successful login: clears the account's (or device's) failures. */
  succeeded: () => Promise<void>
}

export interface RefusedAttempt {
  allowed: false
  reason: 'account' | 'address'
  /** True when the account is in a hard-stop lock window (as opposed to back-off). */
  locked: boolean
  retryAfterSeconds: number
  limit: number
}

export type LoginAttempt = AllowedAttempt | RefusedAttempt

/**
 * Layered login throttling (D6), checked before any argon2 work: per account (the normalised
 * username, whatever the address, existing or not) with exponential back-off and a temporary
 * hard stop, and per client address across usernames.
 *
 * Exact (I6): an attempt is refused only while a back-off delay is really running, on the
 * store's clock; only a password that argon2 verified as wrong counts, never a throttled
 * attempt or one that failed for another reason (a 503). So concurrent right-password logins
 * are never refused. The price: concurrent wrong guesses are all verified before the first one
 * is counted; the argon2 queue (ARGON2_MAX_QUEUE) and the per-address limit bound that burst,
 * and the lock at LOGIN_LOCK_THRESHOLD failures still applies after it.
 *
 * A login carrying a valid device token of the account (I7) is throttled on that device's
 * own counter instead of the account's: a stranger hammering the username cannot keep its
 * owner out.
 */
export class LoginThrottle {
  readonly policy: BackoffPolicy
  private readonly addressWindowMs: number

  constructor (private readonly store: ThrottleStore, private readonly settings: LoginThrottleSettings) {
    if (settings.freeFailures > settings.lockThreshold) throw new Error('freeFailures must not exceed lockThreshold')
    const lockMs = settings.lockSeconds * 1000
    this.policy = {
      freeFailures: settings.freeFailures,
      baseDelayMs: (settings.baseDelaySeconds ?? BASE_DELAY_SECONDS) * 1000,
      maxDelayMs: (settings.maxDelaySeconds ?? MAX_DELAY_SECONDS) * 1000,
      lockThreshold: settings.lockThreshold,
      lockMs,
      memoryMs: Math.max(MEMORY_SECONDS * 1000, 2 * lockMs)
    }
    this.addressWindowMs = (settings.addressWindowSeconds ?? ADDRESS_WINDOW_SECONDS) * 1000
  }

  /** `deviceId`: the id of a valid device token of this account that the attempt carried. */
  async begin (username: string, ip: string, deviceId?: string): Promise<LoginAttempt> {
    const accountKey = deviceId === undefined ? `login:acct:${normalizeUsername(username)}` : `login:dev:${deviceId}`
    const addressKey = `login:addr:${clientAddressKey(ip)}`
    const address = await this.store.checkWindow(addressKey, this.settings.addressMaxFailures)
    if (!address.allowed) {
      return { allowed: false, reason: 'address', locked: false, retryAfterSeconds: toSeconds(address.retryAfterMs), limit: this.settings.addressMaxFailures }
    }
    const account = await this.store.checkAccount(accountKey, this.policy)
    if (!account.allowed) {
      return {
        allowed: false,
        reason: 'account',
        locked: account.count >= this.policy.lockThreshold,
        retryAfterSeconds: toSeconds(account.retryAfterMs),
        limit: this.policy.freeFailures
      }
    }
    return {
      allowed: true,
      failed: async () => {
        await this.store.failWindow(addressKey, this.addressWindowMs)
        const { count } = await this.store.failAccount(accountKey, this.policy)
        return { failures: count, locked: count >= this.policy.lockThreshold }
      },
      succeeded: async () => { await this.store.resetAccount(accountKey) }
    }
  }

  /** Forgets the username's failures and lock: a password reset has just proved who the owner is (K7). */
  async clearAccount (username: string): Promise<void> {
    await this.store.resetAccount(`login:acct:${normalizeUsername(username)}`)
  }
}

function toSeconds (ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000))
}

/**
 * The 429 for a throttled login: one body for every username, existing or not, locked or
 * backing off, with Retry-After and the RateLimit-* fields of draft-ietf-httpapi-ratelimit-headers.
 */
export function loginThrottledProblem (attempt: RefusedAttempt): HttpProblem {
  const base = tooManyRequests(attempt.retryAfterSeconds)
  return new HttpProblem({
    status: base.status,
    slug: base.slug,
    title: base.title,
    detail: base.detail,
    headers: {
      ...base.headers,
      'ratelimit-limit': String(attempt.limit),
      'ratelimit-remaining': '0',
      'ratelimit-reset': String(attempt.retryAfterSeconds)
    }
  })
}
