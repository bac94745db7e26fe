import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { endOneSession } from '../../src/auth/end-sessions.js'
import { problems } from '../../src/schemas/problem.js'
import { authRateLimit } from '../../src/lib/route-limits.js'

const logoutRoute: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('/logout', {
    config: { auth: 'user', rateLimit: authRateLimit(fastify.config) },
    schema: {
      operationId: 'logout',
      tags: ['auth'],
      summary: 'Log out',
      description: 'Ends the session of the access token: its refresh token stops working, and so does every access token of the session, at once on this instance and within REVOCATION_POLL_INTERVAL seconds on the others. Takes no body.',
      response: { 204: Type.Null({ description: 'The session has ended' }), ...problems(429, 503) }
    }
  }, async (request, reply) => {
    const principal = request.principal
    if (principal !== null) {
      const audit = request.auditRow('logout', 'success', { user_id: principal.userId, username: principal.username, session_id: principal.sessionId })
      await endOneSession(fastify.db, principal.sessionId, 'logout', [audit])
      // Keyed on the session id, not the token string, so every token of the session dies (A9).
      fastify.revocations.markRevoked([principal.sessionId])
      request.logAudit(audit)
    }
    return await reply.code(204).send(null)
  })
}

export default logoutRoute
