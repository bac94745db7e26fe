import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { UserRow } from '../../src/db/schema.js'
import { createSession, sessionLifetimes } from '../../src/repositories/sessions.js'
import { findUserByUsername, parseRoles, recordLogin } from '../../src/repositories/users.js'
import { invalidCredentials } from '../../src/lib/problems.js'
import { authRateLimit } from '../../src/lib/route-limits.js'
import { problems } from '../../src/schemas/problem.js'
import { TokenResponseSchema } from '../../src/schemas/tokens.js'
import { CredentialsSchema } from '../../src/schemas/users.js'
import { loginThrottledProblem } from '../../src/security/login-throttle.js'
import { tokenResponse } from '../../src/security/token-response.js'

/**
 * Checks a password with exactly one argon2 verify whatever the outcome: against the user's
 * hash, or a dummy hash for an unknown user, so timing does not tell them apart (D2).
 */
async function verifyCredentials (fastify: FastifyInstance, user: UserRow | undefined, password: string): Promise<boolean> {
  if (user === undefined) return await fastify.passwords.verifyDummy(password)
  const matches = await fastify.passwords.verify(user.password_hash, password)
  return matches && user.disabled === 0
}

function clientMeta (request: FastifyRequest): { userAgent: string | null, ip: string } {
  const agent = request.headers['user-agent']
  return { userAgent: typeof agent === 'string' ? agent.slice(0, 256) : null, ip: request.ip }
}

export default async function loginRoute (fastify: FastifyInstance): Promise<void> {
  const { config } = fastify
  const lifetimes = sessionLifetimes(config)

  fastify.withTypeProvider<TypeBoxTypeProvider>().post('/login', {
    config: { rateLimit: authRateLimit(config) },
    schema: {
      operationId: 'login',
      tags: ['auth'],
      summary: 'Log in',
      description: 'Exchanges a username and password for a short-lived access token (a JWT) and a single-use refresh token, starting a new session. An unknown user, a wrong password and a disabled account get the same 401. By default, after 5 consecutive failures for one username (existing or not, from any address) each further attempt must wait 1 s, 2 s, 4 s... up to 15 minutes, and 100 failures lock the username for an hour; too many failures from one client address (IPv6: one /64) across usernames are refused too. A refused attempt gets 429 with Retry-After and RateLimit-* headers; a successful login clears the username\'s count.',
      body: Type.Ref(CredentialsSchema),
      response: {
        200: Type.Ref(TokenResponseSchema, { description: 'Tokens for the new session' }),
        ...problems(400, 401, 413, 415, 429, 503)
      }
    }
  }, async (request, reply) => {
    const { username, password } = request.body
    // Before the user lookup and any argon2 work, and keyed on the name whether it exists or not (D6).
    const attempt = await fastify.loginThrottle.begin(username, request.ip)
    if (!attempt.allowed) {
      fastify.metrics.logins.inc({ outcome: 'throttled' })
      request.audit('login_throttled', 'denied', { username, reason: attempt.reason, locked: attempt.locked, retry_after: attempt.retryAfterSeconds })
      throw loginThrottledProblem(attempt)
    }
    const user = await findUserByUsername(fastify.db, username)
    const valid = await verifyCredentials(fastify, user, password)
    if (!valid || user === undefined) {
      fastify.metrics.logins.inc({ outcome: 'failure' })
      request.audit('login', 'failure', { user_id: user?.id ?? null, username, reason: user === undefined ? 'unknown user' : user.disabled === 1 ? 'disabled' : 'wrong password', consecutive_failures: attempt.failures })
      if (attempt.locksOnFailure) request.audit('account_locked', 'detected', { user_id: user?.id ?? null, username, consecutive_failures: attempt.failures, lock_seconds: config.LOGIN_LOCK_SECONDS })
      throw invalidCredentials()
    }
    await attempt.succeeded()
    // Parameters changed since this hash was made: store a fresh one now that we know the password.
    const rehashed = fastify.passwords.needsRehash(user.password_hash) ? await fastify.passwords.hash(password) : undefined
    await recordLogin(fastify.db, user.id, rehashed)
    const { userAgent, ip } = clientMeta(request)
    const { session, refreshToken } = await createSession(fastify.db, { userId: user.id, userAgent, ip }, lifetimes)
    const accessToken = fastify.accessTokens.issue({ userId: user.id, username: user.username, roles: parseRoles(user.roles), sessionId: session.id })
    fastify.metrics.logins.inc({ outcome: 'success' })
    request.audit('login', 'success', { user_id: user.id, username: user.username, session_id: session.id, rehashed: rehashed !== undefined })
    return await reply.header('cache-control', 'no-store').header('pragma', 'no-cache')
      .send(tokenResponse(accessToken, config.ACCESS_TOKEN_TTL, refreshToken, session))
  })
}
