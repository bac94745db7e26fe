import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { clientMeta } from '../../src/lib/client-meta.js'
import { invalidRefreshToken } from '../../src/lib/problems.js'
import { authRateLimit } from '../../src/lib/route-limits.js'
import { sendSessionTokens } from '../../src/lib/send-tokens.js'
import type { AuditRow } from '../../src/audit/audit-event.js'
import { endOneSession } from '../../src/auth/end-sessions.js'
import { rotateRefreshToken, sessionLifetimes } from '../../src/repositories/sessions.js'
import { findUserById } from '../../src/repositories/users.js'
import { problems } from '../../src/schemas/problem.js'
import { RefreshRequestSchema, TokenResponseSchema } from '../../src/schemas/tokens.js'

const refreshRoute: FastifyPluginAsyncTypebox = async (fastify) => {
  const { config } = fastify
  const lifetimes = sessionLifetimes(config)

  /** Ends a session here and now, with its audit row: in the database, and in the revocation list at once (A9). */
  async function endSession (sessionId: string, reason: string, audit: AuditRow): Promise<void> {
    await endOneSession(fastify.db, sessionId, reason, [audit])
    fastify.revocations.markRevoked([sessionId])
  }

  fastify.post('/refresh', {
    config: { rateLimit: authRateLimit(config) },
    schema: {
      operationId: 'refreshTokens',
      tags: ['auth'],
      summary: 'Refresh the tokens',
      description: 'Exchanges a refresh token for a new access token and a new refresh token. Refresh tokens are single use: the one presented stops working. Presenting one that was already used ends the whole session (its refresh token and its access tokens). Roles are read from the account again, so role changes reach the tokens here. A session ends after REFRESH_TOKEN_IDLE_TTL seconds without a refresh, and after REFRESH_TOKEN_TTL seconds in any case.',
      body: Type.Ref(RefreshRequestSchema),
      response: {
        200: Type.Ref(TokenResponseSchema, { description: 'New tokens for the same session' }),
        ...problems(400, 401, 413, 415, 429, 503)
      }
    }
  }, async (request, reply) => {
    const meta = clientMeta(request)
    const hooks = fastify.testHooks
    let audit: AuditRow | undefined
    const result = await rotateRefreshToken(fastify.db, request.body.refresh_token, lifetimes, meta, {
      beforeRotation: hooks.beforeRefreshRotation === undefined ? undefined : async (session) => { await hooks.beforeRefreshRotation?.(session.id) },
      auditRow: (session, username) => {
        audit = request.auditRow('refresh', 'success', { user_id: session.user_id, username, session_id: session.id })
        return audit
      }
    })
    if (result.outcome === 'invalid') {
      // A rejected token, like a rejected access token: aggregated, so junk cannot become write load (J2).
      request.securityWarning('refresh_invalid_token', { reason: 'unknown, expired, revoked or superseded refresh token' })
      throw invalidRefreshToken()
    }
    if (result.outcome === 'reused') {
      // RFC 9700 §4.14.2: a replayed refresh token means it leaked; end the whole session.
      const detected = request.auditRow('refresh_reuse_detected', 'detected', { user_id: result.session.user_id, session_id: result.session.id, reason: 'a rotated refresh token was presented again; session revoked' })
      await endSession(result.session.id, 'refresh_token_reuse', detected)
      request.logAudit(detected)
      request.securityWarning('refresh_reuse_detected', { user_id: result.session.user_id, session_id: result.session.id }, { aggregate: false })
      throw invalidRefreshToken()
    }
    if (result.outcome === 'stale') {
      // The account was disabled, deleted or moved to a new epoch (perhaps by editing the
      // database directly): end the session here, so its access tokens die too (A10).
      const account = await findUserById(fastify.db, result.session.user_id)
      const [reason, revokedReason] = account === undefined
        ? ['user deleted', 'user_deleted']
        : account.disabled === 1 ? ['user disabled', 'user_disabled'] : ['credentials changed', 'credentials_changed']
      const ended = request.auditRow('refresh', 'failure', { user_id: result.session.user_id, session_id: result.session.id, reason })
      await endSession(result.session.id, revokedReason, ended)
      request.logAudit(ended)
      throw invalidRefreshToken()
    }
    const { session, refreshToken } = result
    const user = await findUserById(fastify.db, session.user_id)
    if (user === undefined || user.disabled === 1) {
      // Only reachable if the account changed outside this API between the rotation and here.
      const ended = request.auditRow('refresh', 'failure', { user_id: session.user_id, session_id: session.id, reason: user === undefined ? 'user deleted' : 'user disabled' })
      await endSession(session.id, 'user_disabled', ended)
      request.logAudit(ended)
      throw invalidRefreshToken()
    }
    if (audit !== undefined) request.logAudit(audit)
    // Roles from the account now (E5); the session's amr, acr and auth_time kept: a refresh is not an authentication (K4).
    return await sendSessionTokens(fastify, reply, user, { session, refreshToken })
  })
}

export default refreshRoute
