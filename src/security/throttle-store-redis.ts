import type { Redis } from 'ioredis'
import type { BackoffPolicy, Decision, ThrottleStore } from './throttle-store.js'

/**
 * Redis's own clock, in milliseconds: every instance sharing the store reads the same time (I6).
 * Allowed in scripts since Redis 5 (scripts replicate their effects, not the script).
 */
const NOW = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
`

/** Same arithmetic as backoffDelayMs() and remainingDelayMs() in throttle-store.ts (the shared tests run both stores). */
const CHECK_ACCOUNT = NOW + `
local free = tonumber(ARGV[1])
local base = tonumber(ARGV[2])
local maxDelay = tonumber(ARGV[3])
local threshold = tonumber(ARGV[4])
local lockMs = tonumber(ARGV[5])
local state = redis.call('HMGET', KEYS[1], 'f', 't')
local f = tonumber(state[1]) or 0
local t = tonumber(state[2]) or 0
local delay = 0
if f >= threshold then
  delay = lockMs
elseif f >= free then
  delay = math.min(base * 2 ^ math.min(f - free, 40), maxDelay)
end
if delay > 0 and now < t + delay then
  return {0, f, t + delay - now}
end
return {1, f, 0}
`

const FAIL_ACCOUNT = NOW + `
local memoryMs = tonumber(ARGV[1])
local f = redis.call('HINCRBY', KEYS[1], 'f', 1)
redis.call('HSET', KEYS[1], 't', now)
redis.call('PEXPIRE', KEYS[1], memoryMs)
return {1, f, 0}
`

const CHECK_WINDOW = `
local limit = tonumber(ARGV[1])
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count >= limit then
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl < 0 then ttl = 0 end
  return {0, count, ttl}
end
return {1, count, 0}
`

const FAIL_WINDOW = `
local count = redis.call('INCR', KEYS[1])
if redis.call('PTTL', KEYS[1]) < 0 then
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]))
end
return {1, count, 0}
`

function toDecision (reply: unknown): Decision {
  if (!Array.isArray(reply) || reply.length !== 3) throw new Error('unexpected reply from the throttle script')
  const [allowed, count, retryAfterMs] = reply.map(Number)
  return { allowed: allowed === 1, count: count ?? 0, retryAfterMs: Math.max(0, retryAfterMs ?? 0) }
}

/** Counters shared by every instance, under the deployment's key prefix. */
export class RedisThrottleStore implements ThrottleStore {
  constructor (private readonly redis: Redis, private readonly prefix: string) {}

  async checkAccount (key: string, policy: BackoffPolicy): Promise<Decision> {
    return toDecision(await this.redis.eval(CHECK_ACCOUNT, 1, this.prefix + key, policy.freeFailures, policy.baseDelayMs,
      policy.maxDelayMs, policy.lockThreshold, policy.lockMs))
  }

  async failAccount (key: string, policy: BackoffPolicy): Promise<Decision> {
    return toDecision(await this.redis.eval(FAIL_ACCOUNT, 1, this.prefix + key, policy.memoryMs))
  }

  async resetAccount (key: string): Promise<void> {
    await this.redis.del(this.prefix + key)
  }

  async checkWindow (key: string, limit: number): Promise<Decision> {
    return toDecision(await this.redis.eval(CHECK_WINDOW, 1, this.prefix + key, limit))
  }

  async failWindow (key: string, windowMs: number): Promise<Decision> {
    return toDecision(await this.redis.eval(FAIL_WINDOW, 1, this.prefix + key, windowMs))
  }
}
