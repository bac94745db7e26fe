import rateLimit from '@fastify/rate-limit'
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import { tooManyRequests } from '../src/lib/problems.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The shared Redis connection when REDIS_URL is set. */
    redis: Redis | null
  }
}

/**
 * Short timeouts and no offline queue: when Redis is down a command fails at once instead of
 * queueing, so no request waits on it (rate limits then fail open, see README).
 */
export function createRedis (url: string): Redis {
  return new Redis(url, {
    connectTimeout: 1000,
    commandTimeout: 500,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    lazyConnect: false,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000)
  })
}

/**
 * A global limit per client address, stricter per-route limits through `config.rateLimit`
 * (F1), answered as a 429 problem with Retry-After and RateLimit-* headers.
 */
async function rateLimitPlugin (fastify: FastifyInstance): Promise<void> {
  const { config } = fastify
  const redis = config.REDIS_URL === undefined ? null : createRedis(config.REDIS_URL)
  if (redis !== null) {
    redis.on('error', (error: Error) => { fastify.log.warn({ err: { message: error.message } }, 'redis error') })
    fastify.addHook('onClose', async () => { redis.disconnect() })
  }
  fastify.decorate('redis', redis)

  await fastify.register(rateLimit, {
    global: true,
    max: config.RATE_LIMIT_MAX,
    timeWindow: '1 minute',
    enableDraftSpec: true,
    addHeadersOnExceeding: { 'x-ratelimit-limit': false, 'x-ratelimit-remaining': false, 'x-ratelimit-reset': false },
    // A Redis outage must not take the API down with it: the limit is skipped, not enforced.
    skipOnError: true,
    ...(redis === null ? {} : { redis, nameSpace: `${config.REDIS_KEY_PREFIX}rl:` }),
    errorResponseBuilder: (_request, context) => tooManyRequests(Math.max(1, Math.ceil(context.ttl / 1000)))
  })
}

export default fp(rateLimitPlugin, { name: 'rate-limit', fastify: '5.x', dependencies: ['config'] })
