import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction, RouteOptions } from 'fastify'
import { assuranceShortfall, resolveRequirement, type AuthSetting, type ResolvedRequirement } from '../src/auth/requirement.js'
import { findUserById, parseRoles, type Role } from '../src/repositories/users.js'
import { insufficientScope, insufficientUserAuthentication, invalidToken, missingCredentials, type HttpProblem } from '../src/lib/problems.js'
import { problem } from '../src/schemas/problem.js'
import { checkClaims, LEEWAY_SECONDS, type AccessTokenClaims, type AccessTokenSettings } from '../src/security/access-tokens.js'

/** Who made an authenticated request, from a verified access token. */
export interface Principal {
  userId: string
  username: string
  sessionId: string
  tokenId: string
  roles: Role[]
  /** How the session's user authenticated (K4): RFC 8176 methods, RFC 9470 class, epoch seconds. */
  amr: string[]
  acr: string | undefined
  authTime: number | undefined
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Set on a route to require a bearer token: 'user', 'admin', or a role with a step-up
     * (RFC 9470) requirement, e.g. `{ role: 'user', stepUp: true }` (src/auth/requirement.ts).
     */
    auth?: AuthSetting
  }
  interface FastifyRequest {
    /** Set by the auth guard on routes with `config.auth`; null elsewhere. */
    principal: Principal | null
  }
}

/** Longer than any token we issue; anything bigger is rejected before it is parsed (A8). */
const MAX_TOKEN_LENGTH = 4096
/** RFC 6750 §2.1 b64token after a case-insensitive "Bearer" and one space. */
const BEARER = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i

function unauthorizedWithoutToken (request: FastifyRequest): never {
  request.securityWarning('auth_missing_credentials', { path: request.routeOptions.url })
  throw missingCredentials()
}

/** The guard: authentication, role and step-up, attached per route from `config.auth`. */
async function authPlugin (fastify: FastifyInstance): Promise<void> {
  const { config, revocations, verifiedTokens } = fastify
  const settings: AccessTokenSettings = { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, ttlSeconds: config.ACCESS_TOKEN_TTL }
  fastify.decorateRequest('principal', null)

  /** The bearer token of the request, or the 401 problem to answer (A8, B1, B3). */
  function bearerTokenOf (request: FastifyRequest): string {
    const header = request.headers.authorization
    if (header === undefined || header === '') unauthorizedWithoutToken(request)
    if (!/^bearer(\s|$)/i.test(header)) unauthorizedWithoutToken(request)
    const match = header.length <= MAX_TOKEN_LENGTH + 7 ? BEARER.exec(header) : null
    if (match === null) {
      request.securityWarning('auth_invalid_token', { reason: 'malformed' })
      throw invalidToken()
    }
    return match[1] ?? ''
  }

  /** Sets the principal from verified claims; or, for bad claims or a revoked session, the 401 problem. */
  function admit (request: FastifyRequest, claims: AccessTokenClaims | undefined): HttpProblem | undefined {
    // Revocation is checked here, outside the verify cache, on every request (A9).
    if (claims === undefined || revocations.isRevoked(claims.sid)) {
      request.securityWarning('auth_invalid_token', { reason: claims === undefined ? 'claims' : 'revoked' })
      return invalidToken()
    }
    request.principal = {
      userId: claims.sub,
      username: claims.preferred_username,
      sessionId: claims.sid,
      tokenId: claims.jti,
      roles: claims.roles,
      amr: claims.amr,
      acr: claims.acr,
      authTime: claims.auth_time
    }
    return undefined
  }

  /**
   * The guard: every failure is the same 401 problem, whatever the library said (A, B2). A
   * callback hook, not an async one: a token verified before is admitted synchronously, with no
   * promise or microtask per request (issue 10); a new one takes @fastify/jwt's full path once.
   */
  function authenticate (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
    let token: string
    try {
      token = bearerTokenOf(request)
    } catch (error) {
      done(error as HttpProblem)
      return
    }
    const now = Date.now()
    const remembered = verifiedTokens.get(token, now)
    if (remembered !== undefined) {
      done(admit(request, remembered))
      return
    }
    // Whatever happens on the way (even a throw in admit) ends in exactly one done: no hang.
    request.jwtVerify().then((payload: unknown) => {
      const claims = checkClaims(payload, settings, Math.floor(now / 1000), LEEWAY_SECONDS)
      if (claims !== undefined) verifiedTokens.set(token, claims, now)
      return admit(request, claims)
    }, () => {
      request.securityWarning('auth_invalid_token', { reason: 'verification_failed' })
      return invalidToken()
    }).then(done, done)
  }

  /**
   * The token's roles first (cheap refusal), then the account as it is now: admin traffic is
   * low, and a token minted before a demotion or a disable must change nothing (I2).
   */
  async function requireAdmin (request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const principal = request.principal
    const account = principal?.roles.includes('admin') === true ? await findUserById(fastify.db, principal.userId) : undefined
    if (principal !== null && principal.roles.includes('admin') && (account === undefined || account.disabled === 1)) {
      request.securityWarning('auth_invalid_token', { reason: 'account disabled or deleted', user_id: principal.userId })
      throw invalidToken()
    }
    if (account === undefined || !parseRoles(account.roles).includes('admin')) {
      // One budgeted warning, not an audit line per request: a flood cannot flood the log (H3).
      request.securityWarning('authorization_denied', { user_id: request.principal?.userId, path: request.routeOptions.url })
      throw insufficientScope('admin')
    }
  }

  /** RFC 9470: the token is valid, but is the authentication behind it recent and strong enough? */
  function requireAssurance (required: ResolvedRequirement) {
    return async function stepUpGuard (request: FastifyRequest): Promise<void> {
      const principal = request.principal
      if (principal === null) throw invalidToken()
      const shortfall = assuranceShortfall(principal, required, Math.floor(Date.now() / 1000))
      if (shortfall === null) return
      // Aggregated per user and minute in the audit trail (J2), so a retrying client cannot flood it.
      request.securityWarning('step_up_required', { user_id: principal.userId, session_id: principal.sessionId, path: request.routeOptions.url, ...shortfall })
      throw insufficientUserAuthentication(shortfall)
    }
  }

  const requirementSettings = { stepUpMaxAge: config.STEP_UP_MAX_AGE, adminRequireMfa: config.ADMIN_REQUIRE_MFA }

  // Guards are attached per route from config.auth, and the OpenAPI document learns the same.
  fastify.addHook('onRoute', (route: RouteOptions) => {
    const setting = route.config?.auth
    const schema = route.schema as (Record<string, unknown> & { response?: Record<string, unknown>, hide?: boolean, description?: string }) | undefined
    if (setting === undefined) {
      if (schema !== undefined && schema.hide !== true && schema.security === undefined) schema.security = []
      return
    }
    const required = resolveRequirement(setting, requirementSettings)
    const needsAssurance = required.acr !== undefined || required.maxAgeSeconds !== undefined
    const guards = [authenticate, ...(required.role === 'admin' ? [requireAdmin] : []), ...(needsAssurance ? [requireAssurance(required)] : [])]
    const existing = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest]
    // After hooks already attached (the rate limiter's), so floods of bad tokens are counted too.
    route.onRequest = [...existing, ...guards]
    if (schema !== undefined) {
      // OAS 3.1 lets a non-OAuth requirement list role names: admin operations say which role they need.
      schema.security = [{ bearerAuth: required.role === 'admin' ? ['admin'] : [] }]
      schema.response ??= {}
      schema.response[401] ??= needsAssurance
        ? problem('Missing, invalid, expired or revoked access token; or (`insufficient_user_authentication`, RFC 9470) an authentication too old or too weak for this operation')
        : problem('Missing, invalid, expired or revoked access token')
      if (required.role === 'admin') schema.response[403] ??= problem('The caller lacks the admin role')
      if (needsAssurance) {
        schema.description = `${schema.description ?? ''}\n\n${stepUpNote(required)}`.trim()
        schema['x-step-up'] = {
          ...(required.maxAgeSeconds === undefined ? {} : { max_age: required.maxAgeSeconds }),
          ...(required.acr === undefined ? {} : { acr_values: required.acr })
        }
      }
    }
  })
}

function stepUpNote (required: ResolvedRequirement): string {
  const parts: string[] = []
  if (required.maxAgeSeconds !== undefined) parts.push(`an authentication from the last ${required.maxAgeSeconds} seconds`)
  if (required.acr !== undefined) parts.push('a session signed in with a second factor')
  return `**Step-up (RFC 9470):** needs ${parts.join(' and ')}; otherwise 401 \`insufficient_user_authentication\`. Authenticate again with \`POST /auth/reauthenticate\`.`
}

export default fp(authPlugin, { name: 'auth', fastify: '5.x', dependencies: ['config', 'db', 'logging', 'audit', 'rate-limit', 'access-tokens', 'revocations'] })
