import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { passwordLogin } from '../../src/auth/password-login.js'
import { clientMeta } from '../../src/lib/client-meta.js'
import { invalidCredentials } from '../../src/lib/problems.js'
import { authRateLimit } from '../../src/lib/route-limits.js'
import { sendSessionTokens } from '../../src/lib/send-tokens.js'
import { sessionLifetimes } from '../../src/repositories/sessions.js'
import { problems } from '../../src/schemas/problem.js'
import { MfaChallengeSchema, type MfaChallenge } from '../../src/schemas/mfa.js'
import { TokenResponseSchema, type TokenResponse } from '../../src/schemas/tokens.js'
import { LoginRequestSchema } from '../../src/schemas/users.js'
import { loginThrottledProblem } from '../../src/security/login-throttle.js'

const loginRoute: FastifyPluginAsyncTypebox = async (fastify) => {
  const { config } = fastify
  const dependencies = {
    db: fastify.db,
    passwords: fastify.passwords,
    throttle: fastify.loginThrottle,
    lifetimes: sessionLifetimes(config),
    deviceTokenTtlSeconds: config.DEVICE_TOKEN_TTL,
    hooks: fastify.testHooks
  }

  fastify.post('/login', {
    config: { rateLimit: authRateLimit(config) },
    schema: {
      operationId: 'login',
      tags: ['auth'],
      summary: 'Log in',
      description: 'With a second factor confirmed on the account, answers an MfaChallenge instead of tokens: finish at POST /auth/mfa/verify within 5 minutes. Otherwise, exchanges a username and password for a short-lived access token (a JWT), a single-use refresh token and a long-lived device token, starting a new session. An unknown user, a wrong password and a disabled account get the same 401. By default, after 5 consecutive wrong passwords for one username (existing or not, from any address) each further attempt must wait 1 s, 2 s, 4 s... up to 15 minutes, and 100 failures lock the username for an hour; too many failures from one client address (IPv6: one /64) across usernames are refused too. A refused attempt gets 429 with Retry-After and RateLimit-* headers; a successful login clears the count. Send the device_token of an earlier login on this device and the attempt is counted on that device alone, so a stranger guessing your username cannot keep you out.',
      body: Type.Ref(LoginRequestSchema),
      response: {
        // Contract: the 200 body is oneOf the two named schemas; `mfa_required` tells them apart.
        200: Type.Unsafe<TokenResponse | MfaChallenge>({
          oneOf: [Type.Ref(TokenResponseSchema), Type.Ref(MfaChallengeSchema)],
          description: 'Tokens for the new session and the device token to keep; or, when the account has a second factor, an MfaChallenge to finish at POST /auth/mfa/verify'
        }),
        ...problems(400, 401, 413, 415, 429, 503)
      }
    }
  }, async (request, reply) => {
    const { username, password, device_token: deviceToken } = request.body
    const client = clientMeta(request)
    const result = await passwordLogin(dependencies, { username, password, deviceToken, ip: request.ip, client }, (user, sessionId, rehashed) =>
      request.auditRow('login', 'success', { user_id: user.id, username: user.username, session_id: sessionId, rehashed, device_token_presented: deviceToken !== undefined }))

    if (result.outcome === 'throttled') {
      const { attempt } = result
      fastify.metrics.logins.inc({ outcome: 'throttled' })
      await request.audit('login_throttled', 'denied', { username, reason: attempt.reason, locked: attempt.locked, retry_after: attempt.retryAfterSeconds, with_device_token: result.withDevice })
      throw loginThrottledProblem(attempt)
    }
    if (result.outcome === 'rejected') {
      const { user, failure } = result
      fastify.metrics.logins.inc({ outcome: 'failure' })
      await request.audit('login', 'failure', { user_id: user?.id ?? null, username, reason: result.reason, consecutive_failures: failure?.failures ?? null })
      if (failure?.locked === true) await request.audit('account_locked', 'detected', { user_id: user?.id ?? null, username, consecutive_failures: failure.failures, lock_seconds: config.LOGIN_LOCK_SECONDS })
      throw invalidCredentials()
    }
    if (result.outcome === 'mfa-required') {
      fastify.metrics.logins.inc({ outcome: 'mfa_required' })
      await request.audit('login_mfa_required', 'success', { user_id: result.user.id, username: result.user.username, methods: result.methods })
      const challenge: MfaChallenge = { mfa_required: true, mfa_token: result.mfaToken, expires_in: result.expiresIn, methods: result.methods }
      return await reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send(challenge)
    }
    const { user, signedIn } = result
    for (const row of signedIn.audit) request.logAudit(row)
    fastify.metrics.logins.inc({ outcome: 'success' })
    return await sendSessionTokens(fastify, reply, user, signedIn)
  })
}

export default loginRoute
