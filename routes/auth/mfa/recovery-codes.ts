import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { regenerateRecoveryCodes } from '../../../src/auth/factor-enrolment.js'
import { invalidToken, noSecondFactor } from '../../../src/lib/problems.js'
import { authRateLimit } from '../../../src/lib/route-limits.js'
import { RecoveryCodesSchema } from '../../../src/schemas/mfa.js'
import { problems } from '../../../src/schemas/problem.js'

const recoveryCodesRoute: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('/recovery-codes', {
    // A new set invalidates the old one: it needs a recent authentication (K5).
    config: { auth: { role: 'user', stepUp: true }, rateLimit: authRateLimit(fastify.config) },
    schema: {
      operationId: 'regenerateRecoveryCodes',
      tags: ['mfa'],
      summary: 'New recovery codes',
      description: 'Issues a new set of 10 recovery codes, shown this once; every code of the earlier set stops working. Needs a confirmed second factor (409 otherwise).',
      response: { 200: Type.Ref(RecoveryCodesSchema, { description: 'Your new recovery codes' }), ...problems(409, 429, 503) }
    }
  }, async (request, reply) => {
    const principal = request.principal
    if (principal === null) throw invalidToken()
    const codes = await regenerateRecoveryCodes(fastify.db, principal.userId,
      [request.auditRow('recovery_codes_issued', 'success', { user_id: principal.userId, session_id: principal.sessionId, regenerated: true })], new Date())
    if (codes === undefined) throw noSecondFactor()
    return await reply.header('cache-control', 'no-store').send({ recovery_codes: codes })
  })
}

export default recoveryCodesRoute
