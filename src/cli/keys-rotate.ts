import { parseArgs } from 'node:util'
import { KeyEncryption, resolveKeyEncryptionSecret } from '../security/key-encryption.js'
import { activationDelayFor, addSigningKey } from '../security/keyring.js'
import { runCommand, UsageError } from './shared.js'

const USAGE = 'usage: npm run keys:rotate [-- --delay SECONDS | --publish-first]'

/**
 * `npm run keys:rotate`: adds a signing key that signs from then on (the contract); running
 * instances pick it up within KEY_REFRESH_INTERVAL, and one that meets its kid first reloads
 * at once. For verifiers outside the fleet that cache the JWKS, `--publish-first` publishes
 * the key and starts signing only when every cache has seen it (activationDelayFor), or
 * `--delay SECONDS` chooses the wait.
 */
await runCommand(async (config, database) => {
  let values
  try {
    ({ values } = parseArgs({ options: { delay: { type: 'string' }, 'publish-first': { type: 'boolean' } }, strict: true }))
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message : 'bad arguments'}\n${USAGE}`)
  }
  if (config.JWT_ALG === 'HS256') throw new UsageError('JWT_ALG is HS256: rotate by changing JWT_SECRET; there is no key pair to add')
  if (values.delay !== undefined && !/^\d{1,6}$/.test(values.delay)) throw new UsageError(`--delay takes whole seconds\n${USAGE}`)
  const delay = values['publish-first'] === true ? activationDelayFor(config.KEY_REFRESH_INTERVAL) : Number(values.delay ?? 0)
  const encryption = new KeyEncryption(resolveKeyEncryptionSecret(config.KEY_ENCRYPTION_SECRET))
  const kid = await addSigningKey(database.db, config.JWT_ALG, encryption, delay)
  process.stdout.write(`added ${config.JWT_ALG} key ${kid}: ${delay === 0 ? 'signs from now on' : `published now, signs in ${delay} s`}; running instances pick it up within ${config.KEY_REFRESH_INTERVAL} s\n`)
})
