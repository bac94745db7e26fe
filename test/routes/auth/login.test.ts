import t from 'tap'
import { buildTestApp, json } from '../../helpers/app.js'
import { onEachDatabase } from '../../helpers/databases.js'
import { bearer, login, registerUser, STRONG_PASSWORD, uniqueUsername } from '../../helpers/users.js'

onEachDatabase(t, 'login returns a full TokenResponse with no-store', async (t, databaseUrl) => {
  const { app } = await buildTestApp(t, { DATABASE_URL: databaseUrl })
  const user = await registerUser(app)
  const response = await app.inject({ method: 'POST', url: '/auth/login', payload: { username: user.username.toUpperCase(), password: STRONG_PASSWORD } })
  t.equal(response.statusCode, 200)
  t.match(response.headers['cache-control'], /no-store/, 'B5: token responses are not cached')
  const body = json(response)
  t.equal(body.token_type, 'Bearer')
  t.equal(body.expires_in, 900)
  t.type(body.access_token, 'string')
  t.match(body.refresh_token, /^[A-Za-z0-9_-]{43}$/, 'C1: 256-bit opaque refresh token')
  t.ok(Number(body.refresh_token_expires_in) > 0)
  const me = await app.inject({ method: 'GET', url: '/auth/me', headers: bearer(String(body.access_token)) })
  t.equal(me.statusCode, 200)
  t.same(json(me), { id: user.id, username: user.username, roles: ['user'], created_at: json(me).created_at, email: null, email_verified: false })
})

t.test('D1: unknown user and wrong password answer byte-identically but for instance/request_id', async (t) => {
  const { app } = await buildTestApp(t)
  const user = await registerUser(app)
  const wrong = await app.inject({ method: 'POST', url: '/auth/login', payload: { username: user.username, password: 'not-the-password-at-all' } })
  const unknown = await app.inject({ method: 'POST', url: '/auth/login', payload: { username: uniqueUsername('ghost'), password: 'not-the-password-at-all' } })
  t.equal(wrong.statusCode, 401)
  t.equal(unknown.statusCode, 401)
  const strip = (body: Record<string, unknown>): Record<string, unknown> => ({ ...body, request_id: undefined })
  t.same(strip(json(wrong)), strip(json(unknown)))
  const headerNames = (h: Record<string, unknown>): string[] => Object.keys(h).filter((k) => !['date', 'x-request-id', 'content-length'].includes(k)).sort()
  t.same(headerNames(wrong.headers), headerNames(unknown.headers))
  t.equal(wrong.headers['www-authenticate'], unknown.headers['www-authenticate'])
  await login(app, user.username)
})
