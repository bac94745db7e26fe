import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { handleEmailChangeRequest, verifyEmail } from '../../src/auth/recovery.js'
import { afterResponse } from '../../src/lib/after-response.js'
import { emailTaken, invalidVerificationToken, recoveryDisabled } from '../../src/lib/problems.js'
import { recoveryAudit } from '../../src/lib/recovery-audit.js'
import { authRateLimit, recoveryRateLimit } from '../../src/lib/route-limits.js'
import { toUser } from '../../src/lib/users.js'
import { problems } from '../../src/schemas/problem.js'
import { AcceptedSchema, EmailChangeRequestSchema, EmailVerificationSchema } from '../../src/schemas/recovery.js'
import { UserSchema } from '../../src/schemas/users.js'

export const EMAIL_CHANGE_ACCEPTED = { status: 'accepted', message: 'If the address can be used, a confirmation link is on its way to it.' } as const

const emailRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { config } = fastify
  const changeJobs = afterResponse(fastify.recoveryJobs, 'email_change_request')

  fastify.post('/email', {
    config: { auth: { role: 'user', stepUp: true }, rateLimit: recoveryRateLimit(config) },
    onResponse: changeJobs.onResponse,
    schema: {
      operationId: 'requestEmailChange',
      tags: ['auth'],
      summary: 'Set or change your email address',
      description: 'Sends a confirmation link (single use, 24 hours) to the new address; until it is used, the address is not used for anything and `GET /auth/me` still shows the old one (K8). Your current verified address, if any, is told about the request. The answer is always 202: an address that another account has already verified gets no link (nothing an attacker could use) and this account keeps its address. Limited per client address to RECOVERY_RATE_LIMIT_MAX requests an hour (429). 403 `recovery-disabled` when RECOVERY=off.',
      body: Type.Ref(EmailChangeRequestSchema),
      response: { 202: Type.Ref(AcceptedSchema, { description: 'Taken: a confirmation link goes to the address if it can be used' }), ...problems(400, 403, 413, 415, 429, 503) }
    }
  }, async (request, reply) => {
    if (config.RECOVERY === 'off') throw recoveryDisabled()
    const principal = request.principal
    if (principal === null) throw recoveryDisabled()
    const { email } = request.body
    const audit = recoveryAudit(request)
    // After the answer, like the reset request: the answer is the same whatever the address.
    changeJobs.defer(request, async () => { await handleEmailChangeRequest(fastify.db, fastify.mailer, principal.userId, email, audit) })
    return await reply.code(202).send(EMAIL_CHANGE_ACCEPTED)
  })

  fastify.post('/email/verify', {
    config: { rateLimit: authRateLimit(config) },
    schema: {
      operationId: 'verifyEmail',
      tags: ['auth'],
      summary: 'Confirm an email address',
      description: 'Uses the token from the confirmation link (once) and makes the address the account\'s verified address, used from then on for password resets. No bearer token needed: the link may be opened on another device. A token that is unknown, used, expired or of another kind: 400 `invalid-verification-token`. 409 `email-taken` when another account verified the same address in the meantime (the token stays unused). 403 `recovery-disabled` when RECOVERY=off.',
      body: Type.Ref(EmailVerificationSchema),
      response: { 200: Type.Ref(UserSchema, { description: 'The account, with its new verified address' }), ...problems(400, 403, 409, 413, 415, 429, 503) }
    }
  }, async (request) => {
    if (config.RECOVERY === 'off') throw recoveryDisabled()
    const result = await verifyEmail(fastify.db, request.body.token, recoveryAudit(request))
    switch (result.outcome) {
      case 'invalid':
        await request.audit('email_verified', 'failure', { reason: 'unknown, used or expired token' })
        throw invalidVerificationToken()
      case 'taken':
        await request.audit('email_verified', 'failure', { user_id: result.userId, reason: 'another account has verified this address' })
        throw emailTaken()
      case 'verified':
        request.logAudit(result.audit)
        return toUser(result.user)
    }
  })
}

export default emailRoutes
