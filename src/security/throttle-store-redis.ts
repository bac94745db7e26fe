import type { Redis } from 'ioredis'
import type { BackoffPolicy, Decision, ThrottleStore } from './throttle-store.js'

/**
 * The account check-and-count as one Lua script, so that every instance sharing the Redis
 * sees one counter and concurrent attempts are serialised. Same arithmetic as
 * backoffDelayMs() in throttle-store.ts (the shared tests run both stores).
 */
const ACQUIRE_ACCOUNT = `
local now = tonumber(ARGV[1])
local free = tonumber(ARGV[2])
local base = tonumber(ARGV[3])
local maxDelay = tonumber(ARGV[4])
local threshold = tonumber(ARGV[5])
local lockMs = tonumber(ARGV[6])
local memoryMs = tonumber(ARGV[7])
local state = redis.call('HMGET', KEYS[1], 'f', 't')
local f = tonumber(state[1]) or 0
local t = tonumber(state[2]) or 0
local delay = 0
if f >= threshold then
  delay = lockMs
elseif f >= free then
  delay = math.min(base * 2 ^ math.min(f - free, 40), maxDelay)
end
if f > 0 and now < t + delay then
  return {0, f, t + delay - now}
end
f = f + 1
redis.call('HSET', KEYS[1], 'f', f, 't', now)
redis.call('PEXPIRE', KEYS[1], memoryMs)
return {1, f, 0}
`

const ACQUIRE_WINDOW = `
local limit = tonumber(ARGV[1])
local windowMs = tonumber(ARGV[2])
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count >= limit then
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl < 0 then
    redis.call('PEXPIRE', KEYS[1], windowMs)
    ttl = windowMs
  end
  return {0, count, ttl}
end
count = redis.call('INCR', KEYS[1])
if redis.call('PTTL', KEYS[1]) < 0 then
  redis.call('PEXPIRE', KEYS[1], windowMs)
end
return {1, count, 0}
`

const RELEASE_WINDOW = `
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count > 0 then
  redis.call('DECR', KEYS[1])
end
return 0
`

function toDecision (reply: unknown): Decision {
  if (!Array.isArray(reply) || reply.length !== 3) throw new Error('unexpected reply from the throttle script')
  const [allowed, count, retryAfterMs] = reply.map(Number)
  return { allowed: allowed === 1, count: count ?? 0, retryAfterMs: Math.max(0, retryAfterMs ?? 0) }
}

/** Counters shared by every instance, under the deployment's key prefix. */
export class RedisThrottleStore implements ThrottleStore {
  constructor (private readonly redis: Redis, private readonly prefix: string) {}

  async acquireAccount (key: string, now: number, policy: BackoffPolicy): Promise<Decision> {
    return toDecision(await this.redis.eval(ACQUIRE_ACCOUNT, 1, this.prefix + key, now, policy.freeFailures, policy.baseDelayMs,
      policy.maxDelayMs, policy.lockThreshold, policy.lockMs, policy.memoryMs))
  }

  async resetAccount (key: string): Promise<void> {
    await this.redis.del(this.prefix + key)
  }

  async acquireWindow (key: string, _now: number, limit: number, windowMs: number): Promise<Decision> {
    return toDecision(await this.redis.eval(ACQUIRE_WINDOW, 1, this.prefix + key, limit, windowMs))
  }

  async releaseWindow (key: string): Promise<void> {
    await this.redis.eval(RELEASE_WINDOW, 1, this.prefix + key)
  }
}
