import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import t from 'tap'
import { buildTestApp, tempDir } from '../helpers/app.js'
import { waitFor } from '../helpers/sessions.js'
import { bearer, registerAndLogin } from '../helpers/users.js'

const redisUrl = process.env.TEST_REDIS_URL

if (redisUrl === undefined) {
  t.skip('A9 revocations broadcast through Redis: skipped, TEST_REDIS_URL is not set (e.g. redis://127.0.0.1:6379)', async () => {})
} else {
  t.test('A9: with REDIS_URL a logout on one instance bites on another long before its database poll', async (t) => {
    const dir = tempDir(t)
    const shared = {
      DATABASE_URL: `sqlite:${join(dir, 'shared.db')}`,
      KEY_ENCRYPTION_SECRET: randomBytes(32).toString('base64url'),
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: `test-revocation-${process.pid}-${randomBytes(4).toString('hex')}:`,
      // The poll alone would take five minutes: only the broadcast can explain a fast rejection.
      REVOCATION_POLL_INTERVAL: '300'
    }
    const a = await buildTestApp(t, shared)
    const b = await buildTestApp(t, shared)
    const user = await registerAndLogin(a.app)
    const headers = bearer(user.tokens.access_token)
    t.equal((await b.app.inject({ method: 'GET', url: '/protected', headers })).statusCode, 200, 'control: B accepts the token before logout')

    t.equal((await a.app.inject({ method: 'POST', url: '/auth/logout', headers })).statusCode, 204)
    t.equal((await a.app.inject({ method: 'GET', url: '/protected', headers })).statusCode, 401, 'A rejects at once')
    const elapsed = await waitFor(async () => (await b.app.inject({ method: 'GET', url: '/protected', headers })).statusCode === 401, 3000, 25)
    t.ok(elapsed >= 0, `B rejects the revoked session's token through Redis (after ${elapsed} ms)`)
    t.ok(elapsed < 2000, 'well within a second or two, not the 300 s poll')
  })
}
