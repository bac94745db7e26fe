import { randomBytes, randomUUID } from 'node:crypto'
import { join } from 'node:path'
import t from 'tap'
import { buildTestApp, tempDir } from '../helpers/app.js'
import { headerOf } from '../helpers/sessions.js'
import { bearer, registerAndLogin } from '../helpers/users.js'
import { KeyEncryption } from '../../src/security/key-encryption.js'
import { addSigningKey } from '../../src/security/keyring.js'

t.test('a token signed by a key this instance has not loaded yet triggers one reload, not a rejection', async (t) => {
  const dir = tempDir(t)
  const secret = randomBytes(32).toString('base64url')
  // Periodic reloads far away: only the unknown-kid reload can explain acceptance.
  const shared = { DATABASE_URL: `sqlite:${join(dir, 'shared.db')}`, KEY_ENCRYPTION_SECRET: secret, KEY_REFRESH_INTERVAL: '3600' }
  const a = await buildTestApp(t, shared)
  // As when two instances create the first key at once: another key that signs immediately.
  const newKid = await addSigningKey(a.app.db, 'EdDSA', new KeyEncryption(secret), 0)
  const b = await buildTestApp(t, shared)

  const user = await registerAndLogin(b.app)
  t.equal(headerOf(user.tokens.access_token).kid, newKid, 'B signs with the key A has not loaded')
  const response = await a.app.inject({ method: 'GET', url: '/protected', headers: bearer(user.tokens.access_token) })
  t.equal(response.statusCode, 200, 'A reloads its key set for the unknown kid and accepts the token')
  t.ok(a.app.keyring.jwks()?.some((key) => key.kid === newKid), 'and publishes the key from then on')

  const forged = user.tokens.access_token.split('.')
  const header = { ...headerOf(user.tokens.access_token), kid: randomUUID() }
  forged[0] = Buffer.from(JSON.stringify(header)).toString('base64url')
  const unknown = await a.app.inject({ method: 'GET', url: '/protected', headers: bearer(forged.join('.')) })
  t.equal(unknown.statusCode, 401, 'a kid that is in no key set is still rejected')
})
