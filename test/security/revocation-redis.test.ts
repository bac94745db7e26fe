import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import t from 'tap'
import { buildTestApp, tempDir } from '../helpers/app.js'
import { sessionIdOf, waitFor } from '../helpers/sessions.js'
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

  t.test('A9: garbage on the revocation channel revokes nothing and breaks nothing', async (t) => {
    const prefix = `test-revocation-garbage-${process.pid}-${randomBytes(4).toString('hex')}:`
    const { app } = await buildTestApp(t, { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix, REVOCATION_POLL_INTERVAL: '300' })
    const user = await registerAndLogin(app)
    const headers = bearer(user.tokens.access_token)
    const publisher = new Redis(redisUrl, { lazyConnect: true })
    t.teardown(() => { publisher.disconnect() })
    await publisher.connect()
    const sid = sessionIdOf(user.tokens)
    for (const message of ['not json', '{"sid":"x"}', JSON.stringify([42, null, 'not-a-session-id']), JSON.stringify({ 0: sid })]) {
      await publisher.publish(`${prefix}revocations`, message)
    }
    await publisher.publish(`${prefix}other-channel`, JSON.stringify([sid]))
    await new Promise((resolve) => setTimeout(resolve, 300))
    t.equal((await app.inject({ method: 'GET', url: '/protected', headers })).statusCode, 200, 'the session is still live')
    await publisher.publish(`${prefix}revocations`, JSON.stringify([sid]))
    t.not(await waitFor(async () => (await app.inject({ method: 'GET', url: '/protected', headers })).statusCode === 401, 2000, 25), -1, 'control: a well-formed message does revoke')
  })
}
