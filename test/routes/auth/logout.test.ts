import t from 'tap'
import { buildTestApp, json } from '../../helpers/app.js'
import { onEachDatabase } from '../../helpers/databases.js'
import { auditEvents, getProtected, refresh, sessionIdOf } from '../../helpers/sessions.js'
import { bearer, login, registerAndLogin, type Tokens } from '../../helpers/users.js'

onEachDatabase(t, 'C6: logout ends the session at once, and only that session', async (t, databaseUrl) => {
  const built = await buildTestApp(t, { DATABASE_URL: databaseUrl })
  const { app } = built
  const user = await registerAndLogin(app)
  const other = await login(app, user.username)
  const refreshed = json<Tokens>(await refresh(app, user.tokens.refresh_token))

  const response = await app.inject({ method: 'POST', url: '/auth/logout', headers: bearer(refreshed.access_token) })
  t.equal(response.statusCode, 204)
  t.equal(response.body, '', '204 has no body')

  for (const token of [user.tokens.access_token, refreshed.access_token]) {
    const protectedResponse = await getProtected(app, token)
    t.equal(protectedResponse.statusCode, 401, 'A9: every access token of the session stops working at once')
    t.match(protectedResponse.headers['www-authenticate'], /error="invalid_token"/)
  }
  t.equal((await refresh(app, refreshed.refresh_token)).statusCode, 401, 'its refresh token too')
  t.equal((await app.inject({ method: 'POST', url: '/auth/logout', headers: bearer(refreshed.access_token) })).statusCode, 401, 'a second logout with the dead token is a 401')
  t.equal((await getProtected(app, other.access_token)).statusCode, 200, 'the user\'s other session lives on')

  const row = await app.db.selectFrom('sessions').select(['revoked_at', 'revoked_reason']).where('id', '=', sessionIdOf(user.tokens)).executeTakeFirstOrThrow()
  t.equal(row.revoked_reason, 'logout')
  t.type(row.revoked_at, 'string')

  const events = auditEvents(built.logs, 'logout')
  t.equal(events.length, 1, 'H1: one logout event')
  t.match(events[0], { outcome: 'success', user_id: user.id, username: user.username, session_id: sessionIdOf(user.tokens), ip: String, request_id: String, at: /Z$/ })
})

t.test('logout needs a bearer token', async (t) => {
  const { app } = await buildTestApp(t)
  const none = await app.inject({ method: 'POST', url: '/auth/logout' })
  t.equal(none.statusCode, 401)
  t.equal(none.headers['www-authenticate'], 'Bearer realm="secure-api"', 'B1: no error without credentials')
  t.match(none.headers['content-type'], /application\/problem\+json/)
  const bad = await app.inject({ method: 'POST', url: '/auth/logout', headers: bearer('not.a.token') })
  t.equal(bad.statusCode, 401)
  t.match(bad.headers['www-authenticate'], /error="invalid_token"/)
})

t.test('a bodiless operation works when the client sends Content-Type: application/json and no body', async (t) => {
  const { app } = await buildTestApp(t)
  const user = await registerAndLogin(app)
  const headers = { ...bearer(user.tokens.access_token), 'content-type': 'application/json' }
  t.equal((await app.inject({ method: 'POST', url: '/auth/logout', headers })).statusCode, 204, 'as SDKs and axios sessions send it')
  t.equal((await getProtected(app, user.tokens.access_token)).statusCode, 401, 'and the session really ended')
  const register = await app.inject({ method: 'POST', url: '/auth/register', headers: { 'content-type': 'application/json' } })
  t.equal(register.statusCode, 400, 'an operation that needs a body still refuses an empty one')
})
