import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { serviceUnavailable } from '../../src/lib/problems.js'
import { problems } from '../../src/schemas/problem.js'

/** A dependency that does not answer within this time counts as down: readiness never hangs. */
const CHECK_TIMEOUT_MS = 2000

type CheckStatus = 'ok' | 'down'

async function check (probe: () => Promise<unknown>): Promise<CheckStatus> {
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

const CheckStatusSchema = Type.Union([Type.Literal('ok'), Type.Literal('down')])

export default async function healthRoutes (fastify: FastifyInstance): Promise<void> {
  const typed = fastify.withTypeProvider<TypeBoxTypeProvider>()
  // '' rather than '/': the route is /health, with no /health/ twin in the document.
  typed.get('', {
    config: { rateLimit: false },
    schema: {
      operationId: 'getHealth',
      tags: ['health'],
      summary: 'Liveness',
      description: 'Answers while the process runs; checks no dependency.',
      response: { 200: Type.Object({ status: Type.Literal('ok') }, { additionalProperties: false, description: 'Alive' }) }
    }
  }, async () => ({ status: 'ok' as const }))

  typed.get('/ready', {
    config: { rateLimit: false },
    schema: {
      operationId: 'getReadiness',
      tags: ['health'],
      summary: 'Readiness',
      description: 'Checks the database (and Redis when configured); 503 problem when one is down.',
      response: {
        200: Type.Object({
          status: Type.Literal('ok'),
          checks: Type.Object({ database: CheckStatusSchema, redis: Type.Optional(CheckStatusSchema) }, { additionalProperties: false })
        }, { additionalProperties: false, description: 'Ready to serve' }),
        ...problems(503)
      }
    }
  }, async () => {
    const database = await check(fastify.database.ping)
    const redis = fastify.redis === null ? undefined : await check(async () => await fastify.redis?.ping())
    if (database === 'down' || redis === 'down') {
      throw serviceUnavailable(`Not ready: ${[database === 'down' ? 'database' : '', redis === 'down' ? 'redis' : ''].filter(Boolean).join(' and ')} unavailable.`)
    }
    return { status: 'ok' as const, checks: redis === undefined ? { database } : { database, redis } }
  })
}
