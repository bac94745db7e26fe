import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { issueAdminReset } from '../../src/auth/recovery.js'
import { notFound } from '../../src/lib/problems.js'
import { Uuid } from '../../src/schemas/common.js'
import { problems } from '../../src/schemas/problem.js'
import { AdminPasswordResetSchema } from '../../src/schemas/recovery.js'

const UserIdParams = Type.Object({ id: Uuid }, { additionalProperties: false })

const adminPasswordResetRoute: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('/users/:id/password-reset', {
    // Handing out a way into someone's account: a recent authentication too (K5, RFC 9470).
    config: { auth: { role: 'admin', stepUp: true } },
    schema: {
      operationId: 'adminIssuePasswordReset',
      tags: ['admin'],
      summary: 'Issue a password reset token',
      description: 'For an account without a verified email address: a single-use reset token, valid 30 minutes, for you to hand to its owner out of band (in person, by phone). They send it with a new password to POST /auth/password-reset, which ends every session of the account. Issuing one ends the account\'s earlier unused reset tokens; it changes nothing else until used. Audited. A disabled account\'s token is refused until the account is enabled. Needs the admin role.',
      params: UserIdParams,
      response: { 201: Type.Ref(AdminPasswordResetSchema, { description: 'The token; shown once, never stored in clear' }), ...problems(404, 429, 503) }
    }
  }, async (request, reply) => {
    const admin = request.principal
    const { id } = request.params
    if (admin === null) throw notFound('No account has this id.')
    const result = await issueAdminReset(fastify.db, admin.userId, id, (target, expiresAt) =>
      request.auditRow('admin_password_reset', 'success', { user_id: admin.userId, username: admin.username, target_user_id: target.id, target_username: target.username, expires_at: expiresAt }))
    if (result.outcome === 'not-found') throw notFound('No account has this id.')
    request.logAudit(result.audit)
    return await reply.code(201).header('cache-control', 'no-store').header('pragma', 'no-cache')
      .send({ reset_token: result.token.token, expires_at: result.token.expiresAt })
  })
}

export default adminPasswordResetRoute
