import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { buildTestApp, tempDir, testEnv } from '../helpers/app.js'
import { onEachDatabase } from '../helpers/databases.js'
import { bearer, registerAndLogin } from '../helpers/users.js'
import { buildApp } from '../../src/build-app.js'
import { loadConfig } from '../../src/config.js'
import { DEV_SECRET_FILE, KeyEncryption, resolveKeyEncryptionSecret, signingKeyAad } from '../../src/security/key-encryption.js'

onEachDatabase(t, 'keys at rest: the stored private key is encrypted and opens only with the right secret and kid', async (t, databaseUrl) => {
  const secret = randomBytes(32).toString('base64url')
  const { app } = await buildTestApp(t, { DATABASE_URL: databaseUrl, KEY_ENCRYPTION_SECRET: secret })
  const rows = await app.db.selectFrom('signing_keys').selectAll().execute()
  t.equal(rows.length, 1, 'a fresh start created one key')
  const row = rows[0]
  if (row === undefined) return
  t.notMatch(row.private_key, /PRIVATE KEY/, 'no PEM in the database')
  t.notMatch(row.private_key, /^MC4CAQAwBQYDK2Vw/, 'no bare DER either')
  t.match(row.private_key, /^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'AES-GCM sealed: format.iv.tag.ciphertext')
  t.notMatch(row.public_jwk, /"d"\s*:/, 'the stored JWK is the public half')

  const aad = signingKeyAad(row.kid, row.alg)
  t.equal(row.aad_version, 1, 'sealed with kid, alg and use as associated data')
  const pem = new KeyEncryption(secret).decrypt(row.private_key, row.kid, aad)
  t.match(pem, /^-----BEGIN PRIVATE KEY-----/, 'the right secret opens it')
  t.throws(() => new KeyEncryption(randomBytes(32).toString('base64url')).decrypt(row.private_key, row.kid, aad), /cannot be decrypted/, 'another secret does not')
  t.throws(() => new KeyEncryption(secret).decrypt(row.private_key, 'another-kid', signingKeyAad('another-kid', row.alg)), /cannot be decrypted/, 'a ciphertext moved to another row does not (kid is in the AAD)')
  t.throws(() => new KeyEncryption(secret).decrypt(row.private_key, row.kid, signingKeyAad(row.kid, 'RS256')), /cannot be decrypted/, 'a row relabelled to another algorithm does not (alg is in the AAD)')
  t.throws(() => new KeyEncryption(secret).decrypt(row.private_key, row.kid), /cannot be decrypted/, 'nor with the kid-only AAD of the old format')
  const [format, iv, tag, body] = row.private_key.split('.')
  const flipped = `${format}.${iv}.${tag}.${(body ?? '').slice(0, -2)}${(body ?? '').endsWith('AA') ? 'BA' : 'AA'}`
  t.throws(() => new KeyEncryption(secret).decrypt(flipped, row.kid, aad), /cannot be decrypted/, 'tampering is detected')
  t.throws(() => new KeyEncryption(secret).decrypt('v0.a.b.c', row.kid), /unknown encryption format/)
  const again = new KeyEncryption(secret).encrypt(pem, aad)
  t.not(again, row.private_key, 'a fresh IV each time')
})

t.test('keys at rest: a server started with another KEY_ENCRYPTION_SECRET refuses to start', async (t) => {
  const first = await buildTestApp(t)
  await first.app.close()
  const config = loadConfig(testEnv(t, { DATABASE_URL: first.config.DATABASE_URL, KEY_ENCRYPTION_SECRET: randomBytes(32).toString('base64url') }))
  await t.rejects(buildApp(config, { logStream: { write: () => {} } }), /cannot be decrypted; is KEY_ENCRYPTION_SECRET the one/)
})

t.test('keys at rest: the development secret file is created once, mode 0600, and reused', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, 'nested', '.key-encryption-secret')
  const secret = resolveKeyEncryptionSecret(undefined, file)
  t.ok(Buffer.from(secret, 'base64url').length >= 32, 'at least 256 bits')
  t.equal(statSync(file).mode & 0o777, 0o600, 'readable only by the service')
  t.equal(resolveKeyEncryptionSecret(undefined, file), secret, 'the next start reads the same secret')
  t.equal(resolveKeyEncryptionSecret('configured-secret-value-of-32-bytes!', file), 'configured-secret-value-of-32-bytes!', 'a configured secret wins')
  const other = join(dir, 'other-secret')
  t.not(resolveKeyEncryptionSecret(undefined, other), secret, 'each file its own random secret')

  chmodSync(file, 0o644)
  t.throws(() => resolveKeyEncryptionSecret(undefined, file), /readable by other users/, 'a secret file others can read is refused')
  const empty = join(dir, 'empty-secret')
  writeFileSync(empty, '\n', { mode: 0o600 })
  t.throws(() => resolveKeyEncryptionSecret(undefined, empty), /no usable secret/, 'an empty secret file is refused, never used as a key')
})

t.test('keys at rest: a development start with no KEY_ENCRYPTION_SECRET keeps tokens valid across restarts', async (t) => {
  // The development secret lives at ./data relative to the working directory: use a scratch one.
  const dir = tempDir(t)
  const previous = process.cwd()
  process.chdir(dir)
  t.teardown(() => { process.chdir(previous) })
  const env = { NODE_ENV: 'development', KEY_ENCRYPTION_SECRET: undefined, DATABASE_URL: `sqlite:${join(dir, 'dev.db')}` }

  const first = await buildTestApp(t, env)
  t.ok(existsSync(DEV_SECRET_FILE), 'the secret file was created')
  t.equal(statSync(DEV_SECRET_FILE).mode & 0o777, 0o600, 'mode 0600')
  const user = await registerAndLogin(first.app)
  const jwks = (await first.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).body
  await first.app.close()

  const secretBefore = readFileSync(DEV_SECRET_FILE, 'utf8')
  const second = await buildTestApp(t, env)
  t.equal(readFileSync(DEV_SECRET_FILE, 'utf8'), secretBefore, 'the secret is kept, not regenerated')
  const protectedAnswer = await second.app.inject({ method: 'GET', url: '/protected', headers: bearer(user.tokens.access_token) })
  t.equal(protectedAnswer.statusCode, 200, 'a token from before the restart still works')
  t.equal((await second.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).body, jwks, 'the same key set')
  t.equal(await second.app.db.selectFrom('signing_keys').select('kid').execute().then((rows) => rows.length), 1, 'no new key was made')
})
