import { KeyEncryption, resolveKeyEncryptionSecret } from '../security/key-encryption.js'
import { activationDelayFor, addSigningKey } from '../security/keyring.js'
import { runCommand, UsageError } from './shared.js'

/**
 * `npm run keys:rotate`: adds a signing key that every instance loads (within
 * KEY_REFRESH_INTERVAL) before it starts signing: two intervals and a clock-skew margin from now.
 */
await runCommand(async (config, database) => {
  if (config.JWT_ALG === 'HS256') throw new UsageError('JWT_ALG is HS256: rotate by changing JWT_SECRET; there is no key pair to add')
  const encryption = new KeyEncryption(resolveKeyEncryptionSecret(config.KEY_ENCRYPTION_SECRET))
  const delay = activationDelayFor(config.KEY_REFRESH_INTERVAL)
  const kid = await addSigningKey(database.db, config.JWT_ALG, encryption, delay)
  process.stdout.write(`added ${config.JWT_ALG} key ${kid}: published in the JWKS now, signs from ${delay} s from now\n`)
})
