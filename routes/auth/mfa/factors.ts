import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { removeFactor } from '../../../src/auth/factor-enrolment.js'
import { invalidToken, notFound } from '../../../src/lib/problems.js'
import { authRateLimit } from '../../../src/lib/route-limits.js'
import { listConfirmedFactors } from '../../../src/repositories/second-factors.js'
import { Uuid } from '../../../src/schemas/common.js'
import { FactorListSchema, type Factor } from '../../../src/schemas/mfa.js'
import { problems } from '../../../src/schemas/problem.js'

const factorRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { config } = fastify

  fastify.get('/factors', {
    config: { auth: 'user', rateLimit: authRateLimit(config) },
    schema: {
      operationId: 'listFactors',
      tags: ['mfa'],
      summary: 'Your second factors',
      description: 'The confirmed second factors of your account. Unconfirmed enrolments are not listed.',
      response: { 200: Type.Ref(FactorListSchema, { description: 'Your factors, oldest first' }), ...problems(429, 503) }
    }
  }, async (request) => {
    const principal = request.principal
    if (principal === null) throw invalidToken()
    const items: Factor[] = (await listConfirmedFactors(fastify.db, principal.userId)).map((factor) => ({
      id: factor.id,
      type: factor.type,
      name: factor.name,
      created_at: factor.created_at,
      last_used_at: factor.last_used_at
    }))
    return { items }
  })

  fastify.delete('/factors/:id', {
    // Removing a factor needs a recent authentication (K5).
    config: { auth: { role: 'user', stepUp: true }, rateLimit: authRateLimit(config) },
    schema: {
      operationId: 'deleteFactor',
      tags: ['mfa'],
      summary: 'Remove a second factor',
      description: 'Removes one of your confirmed factors. With the last one gone, logins need only the password again and your recovery codes are deleted.',
      params: Type.Object({ id: Uuid }, { additionalProperties: false }),
      response: { 204: Type.Null({ description: 'Removed' }), ...problems(404, 429, 503) }
    }
  }, async (request, reply) => {
    const principal = request.principal
    if (principal === null) throw invalidToken()
    const factorId = request.params.id
    const removed = await removeFactor(fastify.db, principal.userId, factorId, (remaining) => [
      request.auditRow('mfa_factor_remove', 'success', { user_id: principal.userId, session_id: principal.sessionId, factor_id: factorId, factors_left: remaining })
    ])
    if (!removed) throw notFound('No factor of yours has this id.')
    return await reply.code(204).send(null)
  })
}

export default factorRoutes
