import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { AuditRow } from '../../src/audit/audit-event.js'
import { invalidToken, validationFailed } from '../../src/lib/problems.js'
import { authRateLimit } from '../../src/lib/route-limits.js'
import { applyCredentialChange } from '../../src/auth/end-sessions.js'
import { findUserById, replacePasswordHash } from '../../src/repositories/users.js'
import { ChangePasswordRequestSchema } from '../../src/schemas/account.js'
import { problems } from '../../src/schemas/problem.js'
import { checkPassword } from '../../src/security/password-policy.js'
import { loginThrottledProblem } from '../../src/security/login-throttle.js'

const passwordRoute: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('/password', {
    // Step-up (K5): the current password alone does not prove a second factor is present.
    config: { auth: { role: 'user', stepUp: true }, rateLimit: authRateLimit(fastify.config) },
    schema: {
      operationId: 'changePassword',
      tags: ['auth'],
      summary: 'Change your password',
      description: 'Sets a new password after checking the current one, then ends every session of the account, this one included: all refresh and access tokens stop working and you log in again with the new password. The new password obeys the password policy (see POST /auth/register). A wrong current password is a 400 naming /current_password.',
      body: Type.Ref(ChangePasswordRequestSchema),
      response: { 204: Type.Null({ description: 'Password changed; every session has ended' }), ...problems(400, 413, 415, 429, 503) }
    }
  }, async (request, reply) => {
    const principal = request.principal
    const user = principal === null ? undefined : await findUserById(fastify.db, principal.userId)
    if (principal === null || user === undefined || user.disabled === 1) throw invalidToken()
    const { current_password: currentPassword, new_password: newPassword } = request.body
    const who = { user_id: user.id, username: user.username, session_id: principal.sessionId }
    // The policy is cheap and runs first, so a weak new password costs no argon2 work (D3).
    const violations = checkPassword(newPassword, user.username, fastify.config.PASSWORD_MIN_LENGTH, '/new_password')
    if (violations.length > 0) {
      await request.audit('password_change', 'failure', { ...who, reason: 'new password violates the policy' })
      throw validationFailed(violations.map((violation) => ({ ...violation, location: 'body' as const })), 'The new password does not meet the password policy.')
    }
    // The current-password check is a password oracle for whoever holds a stolen access token:
    // it shares the login throttle (D6), counted on the same account.
    const attempt = await fastify.loginThrottle.begin(user.username, request.ip)
    if (!attempt.allowed) {
      await request.audit('password_change', 'denied', { ...who, reason: `throttled (${attempt.reason})` })
      throw loginThrottledProblem(attempt)
    }
    if (!await fastify.passwords.verify(user.password_hash, currentPassword)) {
      await attempt.failed()
      await request.audit('password_change', 'failure', { ...who, reason: 'wrong current password' })
      throw validationFailed([{ pointer: '/current_password', message: 'is not your current password', location: 'body' }], 'The current password is incorrect.')
    }
    await attempt.succeeded()
    const newHash = await fastify.passwords.hash(newPassword)
    // One transaction: the new hash, a new authentication epoch (so a login that verified the
    // old password meanwhile cannot finish, I1), every session and device token ended (C6), the audit row.
    const audit: AuditRow[] = []
    const ended = await applyCredentialChange(fastify.db, user.id, 'password_change', (sessions) => {
      audit.push(request.auditRow('password_change', 'success', { ...who, sessions_ended: sessions.length }))
      return audit
    }, async (trx) => await replacePasswordHash(trx, user.id, user.password_hash, newHash))
    if (ended === undefined) {
      await request.audit('password_change', 'failure', { ...who, reason: 'the password changed meanwhile' })
      throw invalidToken()
    }
    fastify.revocations.markRevoked(ended)
    for (const row of audit) request.logAudit(row)
    return await reply.code(204).send(null)
  })
}

export default passwordRoute
