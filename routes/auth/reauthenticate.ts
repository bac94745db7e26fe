import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { passkeyOptionsForUser, relyingParty } from '../../src/auth/passkeys.js'
import { reauthenticate, type ReauthenticationProof } from '../../src/auth/reauthenticate.js'
import { invalidToken, secondFactorRequired, wrongReauthenticationProof } from '../../src/lib/problems.js'
import { authRateLimit } from '../../src/lib/route-limits.js'
import { sendSessionTokens } from '../../src/lib/send-tokens.js'
import { ReauthenticateRequestSchema } from '../../src/schemas/mfa.js'
import { RequestOptionsSchema } from '../../src/schemas/passkeys.js'
import { problems } from '../../src/schemas/problem.js'
import { TokenResponseSchema } from '../../src/schemas/tokens.js'
import { loginThrottledProblem } from '../../src/security/login-throttle.js'

const reauthenticateRoute: FastifyPluginAsyncTypebox = async (fastify) => {
  const { config } = fastify
  const rp = relyingParty(config)
  const dependencies = { db: fastify.db, passwords: fastify.passwords, secrets: fastify.factorSecrets, rp, throttle: fastify.loginThrottle }

  fastify.post('/reauthenticate', {
    config: { auth: 'user', rateLimit: authRateLimit(config) },
    schema: {
      operationId: 'reauthenticate',
      tags: ['mfa'],
      summary: 'Authenticate again (step-up)',
      description: 'RFC 9470 step-up: proves again who you are inside this session, so operations that need a recent or strong authentication (401 `insufficient_user_authentication`) go through. An account without a second factor sends its password; an account with one sends a TOTP code, a recovery code or a passkey assertion (options from POST /auth/reauthenticate/webauthn-options); a password alone is a 400 then. The answer is a TokenResponse for the same session, with a fresh `auth_time`; after a second factor the session counts as multi-factor (`acr` urn:secure-api:acr:mfa), which is how a password-only session, such as the first admin\'s right after enrolling, reaches the admin API when ADMIN_REQUIRE_MFA is on. The session\'s previous refresh token stops working: use the new one. Wrong proofs count against the login throttle.',
      body: Type.Ref(ReauthenticateRequestSchema),
      response: {
        200: Type.Ref(TokenResponseSchema, { description: 'New tokens for this session, with a fresh auth_time' }),
        ...problems(400, 413, 415, 429, 503)
      }
    }
  }, async (request, reply) => {
    const principal = request.principal
    if (principal === null) throw invalidToken()
    const { password, code, recovery_code: recoveryCode, webauthn } = request.body
    // The schema's oneOf guarantees exactly one of the four.
    const proof: ReauthenticationProof = password !== undefined
      ? { password }
      : code !== undefined ? { code } : webauthn !== undefined ? { webauthn } : { recoveryCode: recoveryCode ?? '' }
    const who = { user_id: principal.userId, session_id: principal.sessionId }
    const result = await reauthenticate(dependencies, { userId: principal.userId, sessionId: principal.sessionId, proof, ip: request.ip }, (user, method) => [
      request.auditRow('reauthenticate', 'success', { ...who, method }),
      ...(method === 'recovery_code' ? [request.auditRow('recovery_code_used', 'success', who)] : [])
    ])
    if (result.outcome === 'second-factor-required') {
      throw secondFactorRequired()
    }
    if (result.outcome === 'throttled') {
      await request.audit('reauthenticate', 'denied', { ...who, reason: `throttled (${result.attempt.reason})` })
      throw loginThrottledProblem(result.attempt)
    }
    if (result.outcome === 'rejected') {
      await request.audit('reauthenticate', 'failure', { ...who, method: 'password' in proof ? 'password' : 'code' in proof ? 'totp' : 'webauthn' in proof ? 'webauthn' : 'recovery_code' })
      throw wrongReauthenticationProof()
    }
    if (result.outcome === 'session-ended') throw invalidToken()
    const { user, issued } = result
    return await sendSessionTokens(fastify, reply, user, issued)
  })

  fastify.post('/reauthenticate/webauthn-options', {
    config: { auth: 'user', rateLimit: authRateLimit(config) },
    schema: {
      operationId: 'reauthenticateWebauthnOptions',
      tags: ['mfa'],
      summary: 'Passkey options for a step-up',
      description: 'Request options limited to your own passkeys, for POST /auth/reauthenticate {webauthn}. The challenge is single use, bound to you, and lives 5 minutes.',
      response: { 200: Type.Ref(RequestOptionsSchema, { description: 'Pass to navigator.credentials.get()' }), ...problems(429, 503) }
    }
  }, async (request, reply) => {
    const principal = request.principal
    if (principal === null) throw invalidToken()
    return await reply.header('cache-control', 'no-store').send(await passkeyOptionsForUser(fastify.db, rp, principal.userId, new Date()))
  })
}

export default reauthenticateRoute
