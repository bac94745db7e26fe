import t from 'tap'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { loadConfig } from '../../src/config.js'
import { buildTestApp, buildTestAppFromConfig, json, tempDir, testEnv } from '../helpers/app.js'
import { onEachDatabase } from '../helpers/databases.js'
import { createAdmin, getProtected, refresh, waitFor } from '../helpers/sessions.js'
import { bearer, login, registerAndLogin, STRONG_PASSWORD, type Tokens } from '../helpers/users.js'

/** The order of P-256: (r, s) and (r, n - s) are both valid ECDSA signatures of one message. */
const P256_ORDER = BigInt('0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551')

/** The same ES256 token with its signature re-encoded as (r, n - s): another string, the same claims. */
function malleate (token: string): string {
  const [header, payload, signature] = token.split('.')
  const bytes = Buffer.from(signature ?? '', 'base64url')
  const s = BigInt(`0x${bytes.subarray(32).toString('hex')}`)
  const flipped = Buffer.from((P256_ORDER - s).toString(16).padStart(64, '0'), 'hex')
  return `${header}.${payload}.${Buffer.concat([bytes.subarray(0, 32), flipped]).toString('base64url')}`
}

t.test('A9: revocation is keyed on the session, not on the token string', async (t) => {
  const { app } = await buildTestApp(t, { JWT_ALG: 'ES256' })
  const user = await registerAndLogin(app)
  const twin = malleate(user.tokens.access_token)
  t.not(twin, user.tokens.access_token, 'a different token string')
  t.equal((await getProtected(app, twin)).statusCode, 200, 'the re-encoded signature verifies (ECDSA is malleable)')
  const refreshed = json<Tokens>(await refresh(app, user.tokens.refresh_token))
  t.equal((await getProtected(app, refreshed.access_token)).statusCode, 200)

  const logout = await app.inject({ method: 'POST', url: '/auth/logout', headers: bearer(user.tokens.access_token) })
  t.equal(logout.statusCode, 204)
  for (const token of [user.tokens.access_token, twin, refreshed.access_token, malleate(refreshed.access_token)]) {
    t.equal((await getProtected(app, token)).statusCode, 401, 'every token of the session, however encoded, is rejected')
  }
})

t.test('A9: a revocation survives a restart', async (t) => {
  const env = testEnv(t)
  const first = await buildTestAppFromConfig(t, loadConfig(env))
  const user = await registerAndLogin(first.app)
  const kept = await login(first.app, user.username)
  t.equal((await first.app.inject({ method: 'POST', url: '/auth/logout', headers: bearer(user.tokens.access_token) })).statusCode, 204)
  await first.app.close()

  // Same database file and key secret: a restart of the same deployment.
  const second = await buildTestAppFromConfig(t, loadConfig(env))
  t.equal((await getProtected(second.app, kept.access_token)).statusCode, 200, 'keys survived: a live session still works')
  t.equal((await getProtected(second.app, user.tokens.access_token)).statusCode, 401, 'the logged-out session is still revoked')
  t.equal((await refresh(second.app, user.tokens.refresh_token)).statusCode, 401)
})

onEachDatabase(t, 'A9, A10: a revocation on one instance reaches another within REVOCATION_POLL_INTERVAL', async (t, databaseUrl) => {
  const secret = randomBytes(32).toString('base64url')
  const overrides = { DATABASE_URL: databaseUrl, KEY_ENCRYPTION_SECRET: secret, REVOCATION_POLL_INTERVAL: '1' }
  const a = await buildTestApp(t, overrides)
  const b = await buildTestApp(t, overrides)
  const user = await registerAndLogin(a.app)
  const other = await login(a.app, user.username)
  t.equal((await getProtected(b.app, user.tokens.access_token)).statusCode, 200, 'B accepts A\'s token: one key set')

  t.equal((await a.app.inject({ method: 'POST', url: '/auth/logout', headers: bearer(user.tokens.access_token) })).statusCode, 204)
  t.equal((await getProtected(a.app, user.tokens.access_token)).statusCode, 401, 'A rejects at once')
  const logoutDelay = await waitFor(async () => (await getProtected(b.app, user.tokens.access_token)).statusCode === 401, 3000)
  t.ok(logoutDelay >= 0 && logoutDelay <= 2500, `B rejects the logged-out session within the poll interval (took ${logoutDelay} ms)`)
  t.equal((await getProtected(b.app, other.access_token)).statusCode, 200, 'the other session lives on B')

  // An administrator on B disables the user: A stops accepting their other session too.
  const admin = await createAdmin(b.app)
  const disabled = await b.app.inject({ method: 'PATCH', url: `/admin/users/${user.id}`, headers: bearer(admin.tokens.access_token), payload: { disabled: true } })
  t.equal(disabled.statusCode, 200)
  const disableDelay = await waitFor(async () => (await getProtected(a.app, other.access_token)).statusCode === 401, 3000)
  t.ok(disableDelay >= 0 && disableDelay <= 2500, `A rejects the disabled user's session within the poll interval (took ${disableDelay} ms)`)
  t.equal((await refresh(a.app, other.refresh_token)).statusCode, 401, 'and refuses its refresh at once (the database decides)')
})

t.test('A9: a password change on one instance ends the sessions on another', async (t) => {
  const dir = tempDir(t)
  const overrides = { DATABASE_URL: `sqlite:${join(dir, 'shared.db')}`, KEY_ENCRYPTION_SECRET: randomBytes(32).toString('base64url'), REVOCATION_POLL_INTERVAL: '1' }
  const a = await buildTestApp(t, overrides)
  const b = await buildTestApp(t, overrides)
  const user = await registerAndLogin(b.app)
  const response = await a.app.inject({ method: 'POST', url: '/auth/password', headers: bearer(user.tokens.access_token), payload: { current_password: STRONG_PASSWORD, new_password: 'copper-kettle-whistles-twice-88' } })
  t.equal(response.statusCode, 204)
  const delay = await waitFor(async () => (await getProtected(b.app, user.tokens.access_token)).statusCode === 401, 3000)
  t.ok(delay >= 0 && delay <= 2500, `B rejects within the poll interval (took ${delay} ms)`)
})
