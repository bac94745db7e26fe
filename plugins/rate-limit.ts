import rateLimit from '@fastify/rate-limit'
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { Redis } from 'ioredis'
import { tooManyRequests } from '../src/lib/problems.js'
import { LoginThrottle } from '../src/security/login-throttle.js'
import type { ThrottleStore } from '../src/security/throttle-store.js'
import { FallbackThrottleStore } from '../src/security/throttle-store-fallback.js'
import { MemoryThrottleStore } from '../src/security/throttle-store-memory.js'
import { RedisThrottleStore } from '../src/security/throttle-store-redis.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The shared Redis connection when REDIS_URL is set. */
    redis: Redis | null
    /** Per-account and per-address login throttling (D6), shared through Redis when configured. */
    loginThrottle: LoginThrottle
  }
}

/**
 * Short timeouts and no offline queue: when Redis is down a command fails at once instead of
 * queueing, so no request waits on it (see README, "Rate limits when Redis is down").
 * ioredis is loaded only when REDIS_URL is set: about 2 MiB of heap an instance without Redis
 * never uses (issue 10, README "Where the memory goes").
 */
export async function createRedis (url: string): Promise<Redis> {
  const { Redis } = await import('ioredis')
  return new Redis(url, {
    connectTimeout: 1000,
    commandTimeout: 500,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    lazyConnect: false,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000)
  })
}

function throttleStore (fastify: FastifyInstance, redis: Redis | null): ThrottleStore {
  const local = new MemoryThrottleStore()
  if (redis === null) return local
  return new FallbackThrottleStore(new RedisThrottleStore(redis, fastify.config.REDIS_KEY_PREFIX), local, {
    isPrimaryReady: () => redis.status === 'ready',
    onPrimaryError: (error) => {
      fastify.log.warn({ err: { message: error instanceof Error ? error.message : 'unknown' } }, 'login throttle: Redis failed, using this instance\'s counters')
    }
  })
}

/**
 * A global limit per client address (IPv6 per /64), stricter per-route limits through
 * `config.rateLimit` (F1), answered as a 429 problem with Retry-After and RateLimit-* headers;
 * and the login throttle. With REDIS_URL every counter lives in Redis under REDIS_KEY_PREFIX.
 */
async function rateLimitPlugin (fastify: FastifyInstance): Promise<void> {
  const { config } = fastify
  const redis = config.REDIS_URL === undefined ? null : await createRedis(config.REDIS_URL)
  if (redis !== null) {
    redis.on('error', (error: Error) => { fastify.log.warn({ err: { message: error.message } }, 'redis error') })
    fastify.addHook('onClose', async () => { redis.disconnect() })
  }
  fastify.decorate('redis', redis)
  fastify.decorate('loginThrottle', new LoginThrottle(throttleStore(fastify, redis), {
    freeFailures: config.LOGIN_FREE_FAILURES,
    lockThreshold: config.LOGIN_LOCK_THRESHOLD,
    lockSeconds: config.LOGIN_LOCK_SECONDS,
    addressMaxFailures: config.LOGIN_IP_MAX_FAILURES
  }))

  await fastify.register(rateLimit, {
    global: true,
    max: config.RATE_LIMIT_MAX,
    timeWindow: '1 minute',
    ipv6Subnet: 64,
    enableDraftSpec: true,
    // A Redis outage must not take the API down with it: these limits are skipped (fail open);
    // the login throttle keeps per-instance counters meanwhile.
    skipOnError: true,
    ...(redis === null ? {} : { redis, nameSpace: `${config.REDIS_KEY_PREFIX}rl:` }),
    errorResponseBuilder: (_request, context) => tooManyRequests(Math.max(1, Math.ceil(context.ttl / 1000)))
  })
}

export default fp(rateLimitPlugin, { name: 'rate-limit', fastify: '5.x', dependencies: ['config'] })
