import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { SessionRow } from '../../src/db/schema.js'
import { notFound } from '../../src/lib/problems.js'
import { authRateLimit } from '../../src/lib/route-limits.js'
import { endOwnSession } from '../../src/auth/end-sessions.js'
import { listLiveSessions } from '../../src/repositories/sessions.js'
import { Uuid } from '../../src/schemas/common.js'
import { problems } from '../../src/schemas/problem.js'
import { SessionListSchema, type Session } from '../../src/schemas/sessions.js'

/** The public shape of a session: never its revocation reason or refresh token hashes. */
function toSession (row: SessionRow, currentId: string): Session {
  return {
    id: row.id,
    created_at: row.created_at,
    last_used_at: row.last_used_at,
    // The moment it ends if left unused: the idle limit, which never passes the absolute end.
    expires_at: row.idle_expires_at < row.expires_at ? row.idle_expires_at : row.expires_at,
    user_agent: row.user_agent,
    ip: row.ip,
    current: row.id === currentId
  }
}

const sessionsRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/sessions', {
    config: { auth: 'user', rateLimit: authRateLimit(fastify.config) },
    schema: {
      operationId: 'listSessions',
      tags: ['auth'],
      summary: 'List your sessions',
      description: 'Your live sessions (logins that can still refresh), newest first; the one of this access token is marked current. Not paginated: the list is short by nature.',
      response: { 200: Type.Ref(SessionListSchema, { description: 'Your live sessions' }), ...problems(429, 503) }
    }
  }, async (request) => {
    const principal = request.principal
    if (principal === null) return { items: [] }
    const rows = await listLiveSessions(fastify.db, principal.userId)
    return { items: rows.map((row) => toSession(row, principal.sessionId)) }
  })

  fastify.delete('/sessions/:id', {
    config: { auth: 'user', rateLimit: authRateLimit(fastify.config) },
    schema: {
      operationId: 'endSession',
      tags: ['auth'],
      summary: 'End one of your sessions',
      description: 'Ends one of your sessions (another device, or this one): its refresh token and access tokens stop working. Another user\'s session, or one already ended, answers 404.',
      params: Type.Object({ id: Uuid }, { additionalProperties: false }),
      response: { 204: Type.Null({ description: 'The session has ended' }), ...problems(404, 429, 503) }
    }
  }, async (request, reply) => {
    const principal = request.principal
    const { id } = request.params
    // Owner-scoped in the query itself: someone else's session id is simply not found (E1).
    const audit = request.auditRow('session_end', 'success', { user_id: principal?.userId ?? null, username: principal?.username ?? null, session_id: id, current: id === principal?.sessionId })
    const ended = principal !== null && await endOwnSession(fastify.db, principal.userId, id, 'ended_by_user', [audit])
    if (!ended) {
      await request.audit('session_end', 'failure', { user_id: principal?.userId ?? null, session_id: id, reason: 'not found or not the caller\'s' })
      throw notFound('No live session of yours has this id.')
    }
    fastify.revocations.markRevoked([id])
    request.logAudit(audit)
    return await reply.code(204).send(null)
  })
}

export default sessionsRoutes
