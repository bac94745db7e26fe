import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { handlePasswordResetRequest, resetPassword } from '../../src/auth/recovery.js'
import { afterResponse } from '../../src/lib/after-response.js'
import { invalidResetToken, recoveryDisabled, validationFailed } from '../../src/lib/problems.js'
import { recoveryAudit } from '../../src/lib/recovery-audit.js'
import { authRateLimit, recoveryRateLimit } from '../../src/lib/route-limits.js'
import { problems } from '../../src/schemas/problem.js'
import { AcceptedSchema, PasswordResetRequestSchema, PasswordResetSchema } from '../../src/schemas/recovery.js'

/** The one answer to every reset request, whatever the address (K7). */
export const RESET_REQUEST_ACCEPTED = { status: 'accepted', message: 'If an account has this verified address, a reset link is on its way to it.' } as const

const passwordResetRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { config } = fastify
  const resetDependencies = { db: fastify.db, passwords: fastify.passwords, throttle: fastify.loginThrottle, passwordMinLength: config.PASSWORD_MIN_LENGTH }
  const requestJobs = afterResponse(fastify.recoveryJobs, 'password_reset_request')

  fastify.post('/password-reset/request', {
    config: { rateLimit: recoveryRateLimit(config) },
    onResponse: requestJobs.onResponse,
    schema: {
      operationId: 'requestPasswordReset',
      tags: ['auth'],
      summary: 'Ask for a password reset link',
      description: 'Always 202 with the same body and headers, and in the same time, whether or not an account has this address: the lookup, the token and the mail all happen after the answer. Only an enabled account whose address is VERIFIED gets a link (single use, 30 minutes), at most 3 an hour per address (further requests are answered alike and send nothing). Limited per client address to RECOVERY_RATE_LIMIT_MAX requests an hour (429). 403 `recovery-disabled` when RECOVERY=off.',
      body: Type.Ref(PasswordResetRequestSchema),
      response: { 202: Type.Ref(AcceptedSchema, { description: 'Taken: a link goes to the address if an account has verified it' }), ...problems(400, 403, 413, 415, 429, 503) }
    }
  }, async (request, reply) => {
    if (config.RECOVERY === 'off') throw recoveryDisabled()
    const { email } = request.body
    const audit = recoveryAudit(request)
    // Nothing here depends on the address: the lookup, the token and the mail run after the answer (K7, equal timing).
    requestJobs.defer(request, async () => { await handlePasswordResetRequest(fastify.db, fastify.mailer, email, audit) })
    return await reply.code(202).send(RESET_REQUEST_ACCEPTED)
  })

  fastify.post('/password-reset', {
    config: { rateLimit: authRateLimit(config) },
    schema: {
      operationId: 'resetPassword',
      tags: ['auth'],
      summary: 'Set a new password with a reset token',
      description: 'Uses a reset token (from the mailed link, or handed over by an administrator) once and sets the new password, which obeys the password policy (see POST /auth/register; a weak one is a 400 naming /new_password and leaves the token usable). Every session and device token of the account ends; a second factor stays in place and is still asked for at the next login. The username\'s failed-login count is cleared. A token that is unknown, used, expired, of another kind or of a disabled account: 400 `invalid-reset-token`.',
      body: Type.Ref(PasswordResetSchema),
      response: { 204: Type.Null({ description: 'Password set; every session has ended' }), ...problems(400, 413, 415, 429, 503) }
    }
  }, async (request, reply) => {
    const { token, new_password: newPassword } = request.body
    const result = await resetPassword(resetDependencies, token, newPassword, recoveryAudit(request))
    switch (result.outcome) {
      case 'invalid':
        await request.audit('password_reset', 'failure', { reason: result.reason })
        throw invalidResetToken()
      case 'weak-password':
        await request.audit('password_reset', 'failure', { user_id: result.user.id, username: result.user.username, reason: 'new password violates the policy' })
        throw validationFailed(result.violations.map((violation) => ({ ...violation, location: 'body' as const })), 'The new password does not meet the password policy.')
      case 'reset':
        fastify.revocations.markRevoked(result.endedSessions)
        for (const row of result.audit) request.logAudit(row)
        return await reply.code(204).send(null)
    }
  })
}

export default passwordResetRoutes
