import { retireSigningKey } from '../security/keyring.js'
import { runCommand, UsageError } from './shared.js'

/** `npm run keys:retire -- KID`: the key stops verifying (and leaves the JWKS) on every instance. */
await runCommand(async (config, database) => {
  const kid = process.argv[2]
  if (kid === undefined || process.argv.length > 3) throw new UsageError('usage: npm run keys:retire -- KID')
  if (config.JWT_ALG === 'HS256') throw new UsageError('JWT_ALG is HS256: there are no stored keys to retire')
  const outcome = await retireSigningKey(database.db, config.JWT_ALG, kid)
  if (outcome === 'unknown') throw new UsageError(`no usable ${config.JWT_ALG} key has kid ${kid}`)
  if (outcome === 'last-signing-key') throw new UsageError(`${kid} is the key signing now: run keys:rotate first and wait until the new key signs`)
  process.stdout.write(`retired ${kid}: instances stop accepting its tokens within two KEY_REFRESH_INTERVALs (${2 * config.KEY_REFRESH_INTERVAL} s: one to reload, one for the verify cache)\n`)
})
