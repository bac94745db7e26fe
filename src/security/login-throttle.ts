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

export interface AllowedAttempt {
  allowed: true
  /** Consecutive failures of this account, this attempt included. */
  failures: number
  /** True when this attempt, if it fails, starts a hard-stop lock window. */
  locksOnFailure: boolean
  /** Call after a successful login: clears the account's failures and gives back the address slot. */
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
 * hard stop, and per client address across usernames. Every attempt is counted as a failure
 * when it starts and forgiven when it succeeds, so parallel guesses cannot share a free slot.
 */
export class LoginThrottle {
  readonly policy: BackoffPolicy
  private readonly addressWindowMs: number

  constructor (private readonly store: ThrottleStore, private readonly settings: LoginThrottleSettings, private readonly clock: () => number = Date.now) {
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

  async begin (username: string, ip: string): Promise<LoginAttempt> {
    const now = this.clock()
    const accountKey = `login:acct:${normalizeUsername(username)}`
    const addressKey = `login:addr:${clientAddressKey(ip)}`
    const address = await this.store.acquireWindow(addressKey, now, this.settings.addressMaxFailures, this.addressWindowMs)
    if (!address.allowed) {
      return { allowed: false, reason: 'address', locked: false, retryAfterSeconds: toSeconds(address.retryAfterMs), limit: this.settings.addressMaxFailures }
    }
    const account = await this.store.acquireAccount(accountKey, now, this.policy)
    if (!account.allowed) {
      // This attempt never happened: give the address its slot back.
      await this.store.releaseWindow(addressKey, now)
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
      failures: account.count,
      locksOnFailure: account.count >= this.policy.lockThreshold,
      succeeded: async () => {
        await this.store.resetAccount(accountKey)
        await this.store.releaseWindow(addressKey, this.clock())
      }
    }
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
