import { generateKeyPairSync } from 'node:crypto'
import t from 'tap'
import { buildTestApp, json, testEnv } from '../helpers/app.js'
import { onEachDatabase } from '../helpers/databases.js'
import { bearer, registerAndLogin } from '../helpers/users.js'
import { buildApp } from '../../src/build-app.js'
import { loadConfig } from '../../src/config.js'
import { KeyEncryption, signingKeyAad } from '../../src/security/key-encryption.js'

const quiet = { write: () => {} }

onEachDatabase(t, 'keys verify themselves: a swapped public key in the database stops the start and is never published', async (t, databaseUrl) => {
  const first = await buildTestApp(t, { DATABASE_URL: databaseUrl })
  const row = await first.app.db.selectFrom('signing_keys').selectAll().executeTakeFirstOrThrow()
  await first.app.close()
  // An attacker with write access to the database only: their own public key in the row.
  const attacker = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' })
  const { app: writer } = await buildTestApp(t, { DATABASE_URL: databaseUrl, KEY_ENCRYPTION_SECRET: first.config.KEY_ENCRYPTION_SECRET })
  const jwksBefore = json<{ keys: Array<{ x?: string }> }>(await writer.inject({ method: 'GET', url: '/.well-known/jwks.json' }))
  await writer.db.updateTable('signing_keys').set({ public_jwk: JSON.stringify({ ...attacker, kid: row.kid, alg: row.alg, use: 'sig' }) }).where('kid', '=', row.kid).execute()

  // A running instance keeps its verified set at the next reload and logs why.
  await t.rejects(writer.keyring.reload(), /stored public key does not match its private key/)
  const jwksAfter = json<{ keys: Array<{ x?: string }> }>(await writer.inject({ method: 'GET', url: '/.well-known/jwks.json' }))
  t.same(jwksAfter.keys.map((key) => key.x), jwksBefore.keys.map((key) => key.x), 'the JWKS still serves the real public key')
  t.notOk(jwksAfter.keys.some((key) => key.x === attacker.x), 'never the swapped one')
  await writer.close()

  // A new instance refuses to start on it, with a message that says what is wrong.
  const config = loadConfig(testEnv(t, { DATABASE_URL: databaseUrl, KEY_ENCRYPTION_SECRET: first.config.KEY_ENCRYPTION_SECRET }))
  await t.rejects(buildApp(config, { logStream: quiet }), /signing key .+: the stored public key does not match its private key/)
})

onEachDatabase(t, 'keys sealed the old way (kid-only AAD) are resealed with kid, alg and use on load and keep working', async (t, databaseUrl) => {
  const first = await buildTestApp(t, { DATABASE_URL: databaseUrl })
  const secret = first.config.KEY_ENCRYPTION_SECRET ?? ''
  const user = await registerAndLogin(first.app, 'legacy')
  const row = await first.app.db.selectFrom('signing_keys').selectAll().executeTakeFirstOrThrow()
  const encryption = new KeyEncryption(secret)
  const pem = encryption.decrypt(row.private_key, row.kid, signingKeyAad(row.kid, row.alg))
  // What migration 0002 found in existing databases.
  await first.app.db.updateTable('signing_keys').set({ private_key: encryption.encrypt(pem, row.kid), aad_version: 0 }).where('kid', '=', row.kid).execute()
  await first.app.close()

  const { app } = await buildTestApp(t, { DATABASE_URL: databaseUrl, KEY_ENCRYPTION_SECRET: secret })
  const resealed = await app.db.selectFrom('signing_keys').selectAll().where('kid', '=', row.kid).executeTakeFirstOrThrow()
  t.equal(resealed.aad_version, 1)
  t.equal(encryption.decrypt(resealed.private_key, row.kid, signingKeyAad(row.kid, row.alg)), pem, 'same key, new associated data')
  t.equal((await app.inject({ method: 'GET', url: '/protected', headers: bearer(user.tokens.access_token) })).statusCode, 200, 'tokens signed before still verify')
})
