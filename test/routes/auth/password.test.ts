import t from 'tap'
import { buildTestApp, json } from '../../helpers/app.js'
import { onEachDatabase } from '../../helpers/databases.js'
import { auditEvents, getProtected, refresh } from '../../helpers/sessions.js'
import { bearer, login, registerAndLogin, STRONG_PASSWORD } from '../../helpers/users.js'

const NEW_PASSWORD = 'violet-harbour-sings-at-9-dawn'

onEachDatabase(t, 'C6: a password change ends every session of the user, this one included', async (t, databaseUrl) => {
  const built = await buildTestApp(t, { DATABASE_URL: databaseUrl })
  const { app } = built
  const user = await registerAndLogin(app)
  const second = await login(app, user.username)
  const stranger = await registerAndLogin(app, 'stranger')

  const response = await app.inject({ method: 'POST', url: '/auth/password', headers: bearer(user.tokens.access_token), payload: { current_password: STRONG_PASSWORD, new_password: NEW_PASSWORD } })
  t.equal(response.statusCode, 204)
  for (const tokens of [user.tokens, second]) {
    t.equal((await getProtected(app, tokens.access_token)).statusCode, 401, 'access tokens of every session die')
    t.equal((await refresh(app, tokens.refresh_token)).statusCode, 401, 'refresh tokens of every session die')
  }
  t.equal((await getProtected(app, stranger.tokens.access_token)).statusCode, 200, 'other users are untouched')

  const old = await app.inject({ method: 'POST', url: '/auth/login', payload: { username: user.username, password: STRONG_PASSWORD } })
  t.equal(old.statusCode, 401, 'the old password no longer logs in')
  const fresh = await login(app, user.username, NEW_PASSWORD)
  t.equal((await getProtected(app, fresh.access_token)).statusCode, 200, 'the new one does')

  const events = auditEvents(built.logs, 'password_change')
  t.equal(events.length, 1, 'H1: one password change event')
  t.match(events[0], { outcome: 'success', user_id: user.id, username: user.username, sessions_ended: 2, ip: String, request_id: String, at: /Z$/ })
  t.notOk(built.rawLogs().includes(NEW_PASSWORD), 'H2: the new password is never logged')
  t.notOk(built.rawLogs().includes(STRONG_PASSWORD), 'H2: nor the old one')
})

t.test('a wrong current password or a weak new one changes nothing', async (t) => {
  const built = await buildTestApp(t)
  const { app } = built
  const user = await registerAndLogin(app)
  const headers = bearer(user.tokens.access_token)

  const wrong = await app.inject({ method: 'POST', url: '/auth/password', headers, payload: { current_password: 'definitely-not-my-password', new_password: NEW_PASSWORD } })
  t.equal(wrong.statusCode, 400)
  t.match(json(wrong), { type: 'urn:secure-api:problem:validation-error', status: 400, errors: [{ pointer: '/current_password' }] })

  const short = await app.inject({ method: 'POST', url: '/auth/password', headers, payload: { current_password: STRONG_PASSWORD, new_password: 'short' } })
  t.equal(short.statusCode, 400)
  t.match(json(short), { errors: [{ pointer: '/new_password', message: /at least 15/ }] })

  const containsName = await app.inject({ method: 'POST', url: '/auth/password', headers, payload: { current_password: STRONG_PASSWORD, new_password: `${user.username}-is-my-long-password` } })
  t.equal(containsName.statusCode, 400)
  t.match(json(containsName), { errors: [{ pointer: '/new_password', message: /username/ }] })

  const common = await app.inject({ method: 'POST', url: '/auth/password', headers, payload: { current_password: STRONG_PASSWORD, new_password: 'passwordpassword' } })
  t.equal(common.statusCode, 400, 'a common password is refused')

  const extra = await app.inject({ method: 'POST', url: '/auth/password', headers, payload: { current_password: STRONG_PASSWORD, new_password: NEW_PASSWORD, username: 'x' } })
  t.equal(extra.statusCode, 400, 'E3: unknown fields are refused')
  const huge = await app.inject({ method: 'POST', url: '/auth/password', headers, payload: { current_password: STRONG_PASSWORD, new_password: 'x'.repeat(129) } })
  t.equal(huge.statusCode, 400, 'over 128 characters is refused by the schema')

  t.equal((await getProtected(app, user.tokens.access_token)).statusCode, 200, 'the session is untouched')
  await login(app, user.username, STRONG_PASSWORD)
  t.ok(auditEvents(built.logs, 'password_change').some((event) => event.outcome === 'failure' && event.reason === 'wrong current password'))

  const anonymous = await app.inject({ method: 'POST', url: '/auth/password', payload: { current_password: STRONG_PASSWORD, new_password: NEW_PASSWORD } })
  t.equal(anonymous.statusCode, 401, 'needs a bearer token')
})

t.test('D6: guessing the current password through /auth/password is throttled like a login', async (t) => {
  const { app } = await buildTestApp(t, { LOGIN_FREE_FAILURES: '3' })
  const user = await registerAndLogin(app, 'guessed')
  const attempt = async (currentPassword: string): Promise<number> => (await app.inject({
    method: 'POST',
    url: '/auth/password',
    headers: bearer(user.tokens.access_token),
    payload: { current_password: currentPassword, new_password: 'another-long-passphrase-91' }
  })).statusCode
  for (let i = 0; i < 3; i++) t.equal(await attempt(`wrong-guess-number-${i}`), 400, `free failure ${i + 1}`)
  const throttled = await app.inject({
    method: 'POST',
    url: '/auth/password',
    headers: bearer(user.tokens.access_token),
    payload: { current_password: STRONG_PASSWORD, new_password: 'another-long-passphrase-91' }
  })
  t.equal(throttled.statusCode, 429, 'even the right password waits out the back-off')
  t.ok(Number(throttled.headers['retry-after']) >= 1, 'with Retry-After')
  t.equal((await app.inject({ method: 'POST', url: '/auth/login', payload: { username: user.username, password: STRONG_PASSWORD } })).statusCode, 429, 'the account shares one counter with login')
  t.equal(json(throttled).status, 429)
})
