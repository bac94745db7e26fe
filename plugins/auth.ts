import fastifyJwt from '@fastify/jwt'
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import { findUserById, parseRoles, type Role } from '../src/repositories/users.js'
import { invalidToken, insufficientScope, missingCredentials } from '../src/lib/problems.js'
import { problem } from '../src/schemas/problem.js'
import { AccessTokenIssuer, ACCESS_TOKEN_TYP, checkClaims, type AccessTokenSettings } from '../src/security/access-tokens.js'
import { KeyEncryption, resolveKeyEncryptionSecret } from '../src/security/key-encryption.js'
import { createHmacKeyring, DatabaseKeyring, type Keyring } from '../src/security/keyring.js'
import { PasswordHasher } from '../src/security/passwords.js'
import { connectRevocationBroadcast } from '../src/security/revocation-broadcast.js'
import { RevocationList } from '../src/security/revocation-list.js'

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

export type AuthRequirement = 'user' | 'admin'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set on a route to require a bearer token ('user') or the admin role ('admin'). */
    auth?: AuthRequirement
  }
  interface FastifyInstance {
    passwords: PasswordHasher
    keyring: Keyring
    accessTokens: AccessTokenIssuer
    revocations: RevocationList
  }
  interface FastifyRequest {
    /** Set by the auth guard on routes with `config.auth`; null elsewhere. */
    principal: Principal | null
  }
}

/** Clock leeway for exp/nbf/iat, kept small (A5). */
const LEEWAY_SECONDS = 5
/** Longer than any token we issue; anything bigger is rejected before it is parsed (A8). */
const MAX_TOKEN_LENGTH = 4096
/** RFC 6750 §2.1 b64token after a case-insensitive "Bearer" and one space. */
const BEARER = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i

async function createKeyring (fastify: FastifyInstance): Promise<Keyring> {
  const { config } = fastify
  if (config.JWT_ALG === 'HS256') {
    // loadConfig() refuses HS256 without a secret of at least 32 bytes.
    return createHmacKeyring(config.JWT_SECRET ?? '')
  }
  const encryption = new KeyEncryption(resolveKeyEncryptionSecret(config.KEY_ENCRYPTION_SECRET))
  const keyring = new DatabaseKeyring(fastify.db, config.JWT_ALG, encryption)
  await keyring.init()
  return keyring
}

function unauthorizedWithoutToken (request: FastifyRequest): never {
  request.securityWarning('auth_missing_credentials', { path: request.routeOptions.url })
  throw missingCredentials()
}

async function authPlugin (fastify: FastifyInstance): Promise<void> {
  const { config } = fastify
  const settings: AccessTokenSettings = { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, ttlSeconds: config.ACCESS_TOKEN_TTL }

  const passwords = new PasswordHasher({
    memoryKiB: config.ARGON2_MEMORY_KIB,
    timeCost: config.ARGON2_TIME_COST,
    parallelism: config.ARGON2_PARALLELISM,
    maxConcurrency: config.ARGON2_MAX_CONCURRENCY,
    maxQueue: config.ARGON2_MAX_QUEUE
  })
  await passwords.init()

  const keyring = await createKeyring(fastify)
  const revocations = new RevocationList(fastify.db, config.ACCESS_TOKEN_TTL, config.REVOCATION_POLL_INTERVAL)
  await revocations.sync()
  revocations.start((error) => { fastify.log.error({ err: error }, 'revocation list sync failed') })
  const stopBroadcast = fastify.redis === null
    ? () => {}
    : connectRevocationBroadcast(fastify.redis, `${config.REDIS_KEY_PREFIX}revocations`, revocations, (error) => {
      fastify.log.warn({ err: { message: error instanceof Error ? error.message : 'unknown' } }, 'revocation broadcast unavailable')
    })

  const keyTimer = setInterval(() => {
    keyring.reload().catch((error: unknown) => { fastify.log.error({ err: error }, 'signing key reload failed') })
  }, config.KEY_REFRESH_INTERVAL * 1000)
  keyTimer.unref()
  fastify.addHook('onClose', async () => {
    clearInterval(keyTimer)
    revocations.stop()
    stopBroadcast()
  })

  await fastify.register(fastifyJwt, {
    // Keys come only from our keyring, chosen by kid; jwk/jku/x5u/x5c headers are never used (A4).
    // HS256 goes through the keyring too, so a kid other than the secret's own is refused (A4).
    secret: {
      public: async (_request: FastifyRequest, token: unknown) => {
        const header = (token as { header?: { kid?: unknown, typ?: unknown } }).header
        // A6 asks for the exact media type; fast-jwt's checkTyp below also lets case variants through.
        if (header?.typ !== ACCESS_TOKEN_TYP && header?.typ !== `application/${ACCESS_TOKEN_TYP}`) throw new Error('typ')
        const kid = header?.kid
        const key = await keyring.resolveVerificationKey(kid)
        if (key === undefined) throw new Error('unknown kid')
        return key
      }
    },
    decode: { complete: true },
    verify: {
      algorithms: [config.JWT_ALG],
      allowedIss: config.JWT_ISSUER,
      allowedAud: config.JWT_AUDIENCE,
      checkTyp: ACCESS_TOKEN_TYP,
      requiredClaims: ['iss', 'aud', 'sub', 'iat', 'exp', 'jti', 'sid'],
      maxAge: config.ACCESS_TOKEN_TTL + LEEWAY_SECONDS,
      clockTolerance: LEEWAY_SECONDS * 1000,
      // fast-jwt's default cache key (a hash of the whole token); a custom one is GHSA-rp9m-7r4c-75qg.
      cache: 10000,
      cacheTTL: config.KEY_REFRESH_INTERVAL * 1000
    }
  })

  fastify.decorate('passwords', passwords)
  fastify.decorate('keyring', keyring)
  fastify.decorate('accessTokens', new AccessTokenIssuer(keyring, settings))
  fastify.decorate('revocations', revocations)
  fastify.decorateRequest('principal', null)

  /** The guard: every failure is the same 401 problem, whatever the library said (A, B2). */
  async function authenticate (request: FastifyRequest): Promise<void> {
    const header = request.headers.authorization
    if (header === undefined || header === '') unauthorizedWithoutToken(request)
    if (!/^bearer(\s|$)/i.test(header)) unauthorizedWithoutToken(request)
    const match = header.length <= MAX_TOKEN_LENGTH + 7 ? BEARER.exec(header) : null
    if (match === null) {
      request.securityWarning('auth_invalid_token', { reason: 'malformed' })
      throw invalidToken()
    }
    let payload: unknown
    try {
      payload = await request.jwtVerify()
    } catch {
      request.securityWarning('auth_invalid_token', { reason: 'verification_failed' })
      throw invalidToken()
    }
    const claims = checkClaims(payload, settings, Math.floor(Date.now() / 1000), LEEWAY_SECONDS)
    // Revocation is checked here, outside the verify cache, on every request (A9).
    if (claims === undefined || revocations.isRevoked(claims.sid)) {
      request.securityWarning('auth_invalid_token', { reason: claims === undefined ? 'claims' : 'revoked' })
      throw invalidToken()
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

  // Guards are attached per route from config.auth, and the OpenAPI document learns the same.
  fastify.addHook('onRoute', (route: RouteOptions) => {
    const requirement = route.config?.auth
    const schema = route.schema as (Record<string, unknown> & { response?: Record<string, unknown>, hide?: boolean }) | undefined
    if (requirement === undefined) {
      if (schema !== undefined && schema.hide !== true && schema.security === undefined) schema.security = []
      return
    }
    const guards = requirement === 'admin' ? [authenticate, requireAdmin] : [authenticate]
    const existing = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest]
    // After hooks already attached (the rate limiter's), so floods of bad tokens are counted too.
    route.onRequest = [...existing, ...guards]
    if (schema !== undefined) {
      // OAS 3.1 lets a non-OAuth requirement list role names: admin operations say which role they need.
      schema.security = [{ bearerAuth: requirement === 'admin' ? ['admin'] : [] }]
      schema.response ??= {}
      schema.response[401] ??= problem('Missing, invalid, expired or revoked access token')
      if (requirement === 'admin') schema.response[403] ??= problem('The caller lacks the admin role')
    }
  })
}

export default fp(authPlugin, { name: 'auth', fastify: '5.x', dependencies: ['config', 'db', 'logging', 'audit', 'rate-limit'] })
