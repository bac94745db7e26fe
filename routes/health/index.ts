import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { serviceUnavailable } from '../../src/lib/problems.js'
import { problems } from '../../src/schemas/problem.js'

/** A dependency that does not answer within this time counts as down: readiness never hangs. */
const CHECK_TIMEOUT_MS = 2000

async function check (probe: () => Promise<unknown>): Promise<'ok' | 'down'> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error('timeout')) }, CHECK_TIMEOUT_MS) })
  try {
    await Promise.race([probe(), timeout])
    return 'ok'
  } catch {
    return 'down'
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Readiness means "this instance can serve": the database is required (503 without it).
 * Redis is not: while it is down, rate limits fail open and login throttling falls back to
 * each instance's memory, so the check says "degraded" and the instance stays in the pool;
 * a Redis blip must not take every instance out of the load balancer at once.
 */
const ReadinessSchema = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')], { description: '`degraded` while an optional dependency (Redis) is down; the instance still serves' }),
  checks: Type.Object({
    database: Type.Literal('ok'),
    redis: Type.Optional(Type.Union([Type.Literal('ok'), Type.Literal('degraded')], { description: 'Present when REDIS_URL is set' }))
  }, { additionalProperties: false })
}, { additionalProperties: false, description: 'Ready to serve' })

const healthRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  // '' rather than '/': the route is /health, with no /health/ twin in the document.
  // A synchronous handler: a liveness probe needs no promise (issue 10).
  fastify.get('', {
    config: { rateLimit: false },
    schema: {
      operationId: 'getHealth',
      tags: ['health'],
      summary: 'Liveness',
      description: 'Answers while the process runs; checks no dependency.',
      response: { 200: Type.Object({ status: Type.Literal('ok') }, { additionalProperties: false, description: 'Alive' }) }
    }
  }, () => ({ status: 'ok' as const }))

  fastify.get('/ready', {
    config: { rateLimit: false },
    schema: {
      operationId: 'getReadiness',
      tags: ['health'],
      summary: 'Readiness',
      description: 'What a load balancer should poll. 503 problem while the database is unreachable or the instance is shutting down; 200 otherwise. Redis down (when configured) gives 200 with `status` and `checks.redis` set to `degraded`: the service keeps working without it.',
      response: {
        200: ReadinessSchema,
        ...problems(503)
      }
    }
  }, async () => {
    if (fastify.draining) throw serviceUnavailable('Not ready: shutting down.')
    const [database, redis] = await Promise.all([
      check(fastify.database.ping),
      fastify.redis === null ? Promise.resolve(undefined) : check(async () => await fastify.redis?.ping())
    ])
    if (database === 'down') throw serviceUnavailable('Not ready: database unavailable.')
    if (redis === undefined) return { status: 'ok' as const, checks: { database } }
    const redisStatus = redis === 'ok' ? 'ok' as const : 'degraded' as const
    return { status: redisStatus, checks: { database, redis: redisStatus } }
  })
}

export default healthRoutes
