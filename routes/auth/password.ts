import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { invalidToken, validationFailed } from '../../src/lib/problems.js'
import { authRateLimit } from '../../src/lib/route-limits.js'
import { revokeUserSessions } from '../../src/repositories/sessions.js'
import { findUserById, setPasswordHash } from '../../src/repositories/users.js'
import { ChangePasswordRequestSchema } from '../../src/schemas/account.js'
import { problems } from '../../src/schemas/problem.js'
import { checkPassword } from '../../src/security/password-policy.js'
import { loginThrottledProblem } from '../../src/security/login-throttle.js'

export default async function passwordRoute (fastify: FastifyInstance): Promise<void> {
  fastify.withTypeProvider<TypeBoxTypeProvider>().post('/password', {
    config: { auth: 'user', rateLimit: authRateLimit(fastify.config) },
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
    // The policy is cheap and runs first, so a weak new password costs no argon2 work (D3).
    const violations = checkPassword(newPassword, user.username, fastify.config.PASSWORD_MIN_LENGTH, '/new_password')
    if (violations.length > 0) {
      request.audit('password_change', 'failure', { user_id: user.id, username: user.username, session_id: principal.sessionId, reason: 'new password violates the policy' })
      throw validationFailed(violations.map((violation) => ({ ...violation, location: 'body' as const })), 'The new password does not meet the password policy.')
    }
    // The current-password check is a password oracle for whoever holds a stolen access token:
    // it shares the login throttle (D6), counted on the same account.
    const attempt = await fastify.loginThrottle.begin(user.username, request.ip)
    if (!attempt.allowed) {
      request.audit('password_change', 'denied', { user_id: user.id, username: user.username, session_id: principal.sessionId, reason: `throttled (${attempt.reason})` })
      throw loginThrottledProblem(attempt)
    }
    if (!await fastify.passwords.verify(user.password_hash, currentPassword)) {
      request.audit('password_change', 'failure', { user_id: user.id, username: user.username, session_id: principal.sessionId, reason: 'wrong current password' })
      throw validationFailed([{ pointer: '/current_password', message: 'is not your current password', location: 'body' }], 'The current password is incorrect.')
    }
    await attempt.succeeded()
    await setPasswordHash(fastify.db, user.id, await fastify.passwords.hash(newPassword))
    // Whoever else held a session (perhaps the reason for the change) is logged out too (C6).
    const ended = await revokeUserSessions(fastify.db, user.id, 'password_change')
    fastify.revocations.markRevoked(ended)
    request.audit('password_change', 'success', { user_id: user.id, username: user.username, session_id: principal.sessionId, sessions_ended: ended.length })
    return await reply.code(204).send(null)
  })
}
