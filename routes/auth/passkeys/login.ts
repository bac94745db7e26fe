import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { passkeyLogin } from '../../../src/auth/passkey-login.js'
import { discoverableLoginOptions, relyingParty } from '../../../src/auth/passkeys.js'
import { clientMeta } from '../../../src/lib/client-meta.js'
import { passkeyRefused } from '../../../src/lib/problems.js'
import { authRateLimit } from '../../../src/lib/route-limits.js'
import { sendSessionTokens } from '../../../src/lib/send-tokens.js'
import { sessionLifetimes } from '../../../src/repositories/sessions.js'
import { EmptyRequestSchema, PasskeyLoginOptionsSchema, PasskeyLoginRequestSchema } from '../../../src/schemas/passkeys.js'
import { problems } from '../../../src/schemas/problem.js'
import { TokenResponseSchema } from '../../../src/schemas/tokens.js'
import { loginThrottledProblem } from '../../../src/security/login-throttle.js'

const passkeyLoginRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { config } = fastify
  const rp = relyingParty(config)
  const dependencies = {
    db: fastify.db,
    rp,
    throttle: fastify.loginThrottle,
    lifetimes: sessionLifetimes(config),
    deviceTokenTtlSeconds: config.DEVICE_TOKEN_TTL,
    hooks: fastify.testHooks
  }

  fastify.post('/login/options', {
    config: { rateLimit: authRateLimit(config) },
    schema: {
      operationId: 'passkeyLoginOptions',
      tags: ['passkeys'],
      summary: 'Start a passwordless login with a passkey',
      description: 'Request options for navigator.credentials.get() (or @simplewebauthn/browser startAuthentication): any discoverable credential of this relying party (no allowCredentials), user verification required. The challenge is single use and valid for 5 minutes; send the assertion with the `challenge_id` to POST /auth/passkeys/login.',
      body: Type.Ref(EmptyRequestSchema),
      response: { 200: Type.Ref(PasskeyLoginOptionsSchema, { description: 'Pass these to the browser; keep challenge_id' }), ...problems(400, 413, 415, 429, 503) }
    }
  }, async (_request, reply) => {
    const { options, challengeId } = await discoverableLoginOptions(fastify.db, rp, new Date())
    return await reply.header('cache-control', 'no-store').send({ ...options, challenge_id: challengeId })
  })

  fastify.post('/login', {
    config: { rateLimit: authRateLimit(config) },
    schema: {
      operationId: 'passkeyLogin',
      tags: ['passkeys'],
      summary: 'Log in with a passkey',
      description: 'Verifies the assertion for the options of POST /auth/passkeys/login/options (that challenge_id, unused, within 5 minutes; one of the configured origins; the relying party\'s id; user verification; a signature counter that moved forward where the authenticator keeps one) and starts a session like POST /auth/login. The access token says `amr: ["hwk", "user"]` and the mfa `acr`: a passkey with user verification counts as two factors. Every refusal is the same 401, whatever was wrong. Throttled like password logins: failures per passkey and per client address are counted, and past the limits the answer is 429 with Retry-After.',
      body: Type.Ref(PasskeyLoginRequestSchema),
      response: {
        200: Type.Ref(TokenResponseSchema, { description: 'Tokens for the new session' }),
        ...problems(400, 401, 413, 415, 429, 503)
      }
    }
  }, async (request, reply) => {
    const { challenge_id: challengeId, response } = request.body
    const result = await passkeyLogin(dependencies, { challengeId, response, ip: request.ip, client: clientMeta(request) }, (user, passkey, sessionId) =>
      request.auditRow('passkey_login', 'success', { user_id: user.id, username: user.username, session_id: sessionId, passkey_id: passkey.id }))

    if (result.outcome === 'throttled') {
      const { attempt } = result
      fastify.metrics.logins.inc({ outcome: 'throttled' })
      await request.audit('passkey_login', 'denied', { reason: `throttled (${attempt.reason})`, locked: attempt.locked, retry_after: attempt.retryAfterSeconds })
      throw loginThrottledProblem(attempt)
    }
    if (result.outcome === 'rejected') {
      const { passkey, failure } = result
      fastify.metrics.logins.inc({ outcome: 'failure' })
      // Which refusal it was is recorded here, never answered (K6).
      await request.audit('passkey_login', 'failure', {
        user_id: passkey?.user_id ?? null,
        passkey_id: passkey?.id ?? null,
        reason: result.reason,
        ...(result.detail === undefined ? {} : { detail: result.detail }),
        consecutive_failures: failure?.failures ?? null
      })
      throw passkeyRefused()
    }
    const { user, signedIn } = result
    for (const row of signedIn.audit) request.logAudit(row)
    fastify.metrics.logins.inc({ outcome: 'success' })
    return await sendSessionTokens(fastify, reply, user, signedIn)
  })
}

export default passkeyLoginRoutes
