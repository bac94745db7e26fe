import t from 'tap'
import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { KeyEncryption } from '../../src/security/key-encryption.js'
import { activationDelayFor, addSigningKey, retireSigningKey } from '../../src/security/keyring.js'
import { buildTestApp, json } from '../helpers/app.js'
import { onEachDatabase } from '../helpers/databases.js'
import { getProtected, headerOf, waitFor } from '../helpers/sessions.js'
import { login, registerAndLogin } from '../helpers/users.js'

async function jwksKids (app: FastifyInstance): Promise<string[]> {
  const response = await app.inject({ method: 'GET', url: '/.well-known/jwks.json' })
  return json<{ keys: Array<{ kid: string }> }>(response).keys.map((key) => key.kid)
}

const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

/** Activation delay used here: long enough for both instances (reloading every second) to load the key first. */
const ACTIVATION_SECONDS = 3

onEachDatabase(t, 'key rotation reaches every instance without a restart; retirement ends the old key', async (t, databaseUrl) => {
  const secret = randomBytes(32).toString('base64url')
  const overrides = { DATABASE_URL: databaseUrl, KEY_ENCRYPTION_SECRET: secret, KEY_REFRESH_INTERVAL: '1' }
  const a = await buildTestApp(t, overrides)
  const b = await buildTestApp(t, overrides)
  const user = await registerAndLogin(a.app)
  const oldKid = String(headerOf(user.tokens.access_token).kid)
  t.same(await jwksKids(a.app), [oldKid], 'one key at first, made by the first start')
  t.same(await jwksKids(b.app), [oldKid], 'the second instance found the same key: no copying')

  const newKid = await addSigningKey(a.app.db, 'EdDSA', new KeyEncryption(secret), ACTIVATION_SECONDS)
  const activatesAt = Date.now() + ACTIVATION_SECONDS * 1000
  const early = await login(a.app, user.username)
  t.equal(headerOf(early.access_token).kid, oldKid, 'before its activation time the new key does not sign')

  const publishedA = await waitFor(async () => (await jwksKids(a.app)).includes(newKid), 2500)
  const publishedB = await waitFor(async () => (await jwksKids(b.app)).includes(newKid), 2500)
  t.ok(publishedA >= 0 && publishedB >= 0, `both instances publish the new kid without a restart (A: ${publishedA} ms, B: then ${publishedB} ms)`)
  t.same((await jwksKids(b.app)).sort(), [oldKid, newKid].sort(), 'old and new keys are both in the JWKS')

  await sleep(Math.max(0, activatesAt - Date.now()) + 100)
  const fromA = await login(a.app, user.username)
  const fromB = await login(b.app, user.username)
  t.equal(headerOf(fromA.access_token).kid, newKid, 'after activation, A signs with the new key')
  t.equal(headerOf(fromB.access_token).kid, newKid, 'and so does B')
  t.equal((await getProtected(b.app, fromA.access_token)).statusCode, 200, 'B verifies A\'s new-key tokens')
  t.equal((await getProtected(a.app, fromB.access_token)).statusCode, 200, 'A verifies B\'s new-key tokens')
  for (const app of [a.app, b.app]) {
    t.equal((await getProtected(app, user.tokens.access_token)).statusCode, 200, 'tokens of the old key still verify')
    t.equal((await getProtected(app, early.access_token)).statusCode, 200)
  }

  t.equal(await retireSigningKey(a.app.db, 'EdDSA', newKid), 'last-signing-key', 'the key that signs now cannot be retired')
  t.equal(await retireSigningKey(a.app.db, 'EdDSA', 'no-such-kid'), 'unknown')
  t.equal(await retireSigningKey(a.app.db, 'EdDSA', oldKid), 'retired', 'the superseded key can')
  const retiredAt = Date.now()
  const goneA = await waitFor(async () => (await getProtected(a.app, user.tokens.access_token)).statusCode === 401, 4000)
  const goneB = await waitFor(async () => (await getProtected(b.app, early.access_token)).statusCode === 401, 4000)
  t.ok(goneA >= 0 && goneB >= 0, `old-key tokens are rejected on both instances within 2 x KEY_REFRESH_INTERVAL (${Date.now() - retiredAt} ms)`)
  t.ok(Date.now() - retiredAt <= 3500)
  for (const app of [a.app, b.app]) {
    t.equal((await getProtected(app, early.access_token)).statusCode, 401)
    t.notOk((await jwksKids(app)).includes(oldKid), 'the retired key left the JWKS')
    t.equal((await getProtected(app, fromA.access_token)).statusCode, 200, 'new-key tokens still verify')
  }
  t.equal(await retireSigningKey(a.app.db, 'EdDSA', oldKid), 'unknown', 'a retired key is no longer usable')
  t.equal(await retireSigningKey(a.app.db, 'EdDSA', newKid), 'last-signing-key', 'the last key can never be retired')
})

t.test('a pending rotation can be cancelled; the activation delay covers reload and JWKS caching', async (t) => {
  const secret = randomBytes(32).toString('base64url')
  const { app } = await buildTestApp(t, { KEY_ENCRYPTION_SECRET: secret, KEY_REFRESH_INTERVAL: '1' })
  const user = await registerAndLogin(app)
  const currentKid = String(headerOf(user.tokens.access_token).kid)
  const pending = await addSigningKey(app.db, 'EdDSA', new KeyEncryption(secret), 3600)
  t.equal(await retireSigningKey(app.db, 'EdDSA', pending), 'retired', 'a key that does not sign yet may be withdrawn')
  t.equal(await retireSigningKey(app.db, 'EdDSA', currentKid), 'last-signing-key')
  await app.keyring.reload()
  t.same(await jwksKids(app), [currentKid])
  t.equal(headerOf((await login(app, user.username)).access_token).kid, currentKid)
  t.ok(activationDelayFor(30) > 2 * 30, 'the recommended delay exceeds two refresh intervals')
})
