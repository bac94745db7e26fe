import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { mfaLogin } from '../../../src/auth/mfa-login.js'
import { relyingParty } from '../../../src/auth/passkeys.js'
import type { SecondFactorProof } from '../../../src/auth/second-factor-proofs.js'
import { clientMeta } from '../../../src/lib/client-meta.js'
import { invalidSecondFactor } from '../../../src/lib/problems.js'
import { authRateLimit } from '../../../src/lib/route-limits.js'
import { sendSessionTokens } from '../../../src/lib/send-tokens.js'
import { sessionLifetimes } from '../../../src/repositories/sessions.js'
import { MfaVerifyRequestSchema } from '../../../src/schemas/mfa.js'
import { problems } from '../../../src/schemas/problem.js'
import { TokenResponseSchema } from '../../../src/schemas/tokens.js'
import { loginThrottledProblem } from '../../../src/security/login-throttle.js'

const mfaVerifyRoute: FastifyPluginAsyncTypebox = async (fastify) => {
  const { config } = fastify
  const dependencies = {
    db: fastify.db,
    secrets: fastify.factorSecrets,
    rp: relyingParty(config),
    throttle: fastify.loginThrottle,
    lifetimes: sessionLifetimes(config),
    deviceTokenTtlSeconds: config.DEVICE_TOKEN_TTL
  }

  fastify.post('/verify', {
    config: { rateLimit: authRateLimit(config) },
    schema: {
      operationId: 'verifyMfa',
      tags: ['mfa'],
      summary: 'Finish a login with a second factor',
      description: 'The second step of a login for an account with a second factor: the mfa_token that POST /auth/login answered and a TOTP code, one recovery code or a passkey assertion (options from POST /auth/mfa/webauthn/options) become a session, with `amr` ["pwd","otp","mfa"] (a passkey: ["pwd","hwk","user","mfa"], `user` when the authenticator verified the user) and `acr` urn:secure-api:acr:mfa. The mfa_token is single use, lives 5 minutes and dies after 5 wrong codes; each TOTP code works once. Wrong codes count against the login throttle of the account (and device), like wrong passwords. A bad code and a bad token get the same 401.',
      body: Type.Ref(MfaVerifyRequestSchema),
      response: {
        200: Type.Ref(TokenResponseSchema, { description: 'Tokens for the new session; device_token only when a new one was issued (the one the login carried is renewed and stays valid)' }),
        ...problems(400, 401, 413, 415, 429, 503)
      }
    }
  }, async (request, reply) => {
    const { mfa_token: mfaToken, code, recovery_code: recoveryCode, webauthn } = request.body
    // The schema's oneOf guarantees exactly one of the three.
    const proof: SecondFactorProof = code !== undefined ? { code } : webauthn !== undefined ? { webauthn } : { recoveryCode: recoveryCode ?? '' }
    const result = await mfaLogin(dependencies, { mfaToken, proof, ip: request.ip, client: clientMeta(request) }, {
      success: (user, sessionId, accepted) => [
        request.auditRow('mfa_verify', 'success', { user_id: user.id, username: user.username, session_id: sessionId, method: accepted.kind }),
        ...(accepted.kind === 'recovery_code' ? [request.auditRow('recovery_code_used', 'success', { user_id: user.id, session_id: sessionId })] : [])
      ]
    })
    if (result.outcome === 'invalid-token') {
      request.securityWarning('mfa_invalid_token', {})
      throw invalidSecondFactor()
    }
    if (result.outcome === 'throttled') {
      fastify.metrics.logins.inc({ outcome: 'throttled' })
      await request.audit('mfa_verify', 'denied', { user_id: result.user.id, reason: `throttled (${result.attempt.reason})` })
      throw loginThrottledProblem(result.attempt)
    }
    if (result.outcome === 'rejected') {
      fastify.metrics.logins.inc({ outcome: 'failure' })
      await request.audit('mfa_verify', 'failure', { user_id: result.user.id, method: code !== undefined ? 'totp' : webauthn !== undefined ? 'webauthn' : 'recovery_code', consecutive_failures: result.failure.failures })
      throw invalidSecondFactor()
    }
    const { user, signedIn } = result
    for (const row of signedIn.audit) request.logAudit(row)
    if (result.recoveryCodesLeft !== undefined && result.recoveryCodesLeft <= 2) {
      request.log.warn({ security: { event: 'recovery_codes_low', user_id: user.id, left: result.recoveryCodesLeft } }, 'recovery codes running out')
    }
    fastify.metrics.logins.inc({ outcome: 'success' })
    return await sendSessionTokens(fastify, reply, user, signedIn)
  })
}

export default mfaVerifyRoute
