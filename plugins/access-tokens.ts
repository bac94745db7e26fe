import fastifyJwt from '@fastify/jwt'
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { AccessTokenIssuer, ACCESS_TOKEN_TYP, LEEWAY_SECONDS, VerifiedTokenCache, type AccessTokenSettings } from '../src/security/access-tokens.js'
import { KeyEncryption, resolveKeyEncryptionSecret } from '../src/security/key-encryption.js'
import { createHmacKeyring, DatabaseKeyring, type Keyring } from '../src/security/keyring.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The signing keys of this deployment, shared through the database (A4, key rotation). */
    keyring: Keyring
    accessTokens: AccessTokenIssuer
    /** Access tokens already verified, for the guard's fast path (plugins/auth.ts). */
    verifiedTokens: VerifiedTokenCache
  }
}

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

/** At most this many verified tokens are remembered (a few MiB at most: a token and its claims are under 1 KiB each). */
const VERIFIED_TOKENS_MAX = 10_000

/** Signing (the issuer) and verification (@fastify/jwt, pinned to our keyring and algorithm). */
async function accessTokensPlugin (fastify: FastifyInstance): Promise<void> {
  const { config } = fastify
  const settings: AccessTokenSettings = { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, ttlSeconds: config.ACCESS_TOKEN_TTL }
  const keyring = await createKeyring(fastify)

  // Running instances pick up a rotation within KEY_REFRESH_INTERVAL, with no restart.
  const keyTimer = setInterval(() => {
    keyring.reload().catch((error: unknown) => { fastify.log.error({ err: error }, 'signing key reload failed') })
  }, config.KEY_REFRESH_INTERVAL * 1000)
  keyTimer.unref()
  fastify.addHook('onClose', async () => { clearInterval(keyTimer) })

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
      // Small: successes are kept by verifiedTokens below; this one mostly remembers refusals for a few seconds.
      cache: 1000,
      cacheTTL: config.KEY_REFRESH_INTERVAL * 1000
    }
  })

  fastify.decorate('keyring', keyring)
  fastify.decorate('accessTokens', new AccessTokenIssuer(keyring, settings))
  fastify.decorate('verifiedTokens', new VerifiedTokenCache(
    VERIFIED_TOKENS_MAX,
    config.KEY_REFRESH_INTERVAL * 1000,
    (config.ACCESS_TOKEN_TTL + LEEWAY_SECONDS) * 1000,
    LEEWAY_SECONDS * 1000
  ))
}

export default fp(accessTokensPlugin, { name: 'access-tokens', fastify: '5.x', dependencies: ['config', 'db'] })
