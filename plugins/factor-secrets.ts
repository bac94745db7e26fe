import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { KeyEncryption, resolveKeyEncryptionSecret } from '../src/security/key-encryption.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Seals TOTP secrets at rest (K1): AES-256-GCM under a key of its own, derived from KEY_ENCRYPTION_SECRET. */
    factorSecrets: KeyEncryption
  }
}

async function factorSecretsPlugin (fastify: FastifyInstance): Promise<void> {
  // The same secret as the signing keys (production requires it; development keeps one in a 0600 file).
  const secret = resolveKeyEncryptionSecret(fastify.config.KEY_ENCRYPTION_SECRET)
  fastify.decorate('factorSecrets', new KeyEncryption(secret, 'secure-api/totp-secrets'))
}

export default fp(factorSecretsPlugin, { name: 'factor-secrets', fastify: '5.x', dependencies: ['config'] })
