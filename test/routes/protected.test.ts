import t from 'tap'
import { buildTestApp, json } from '../helpers/app.js'
import { onEachDatabase } from '../helpers/databases.js'
import { bearer, registerAndLogin } from '../helpers/users.js'

onEachDatabase(t, 'GET /protected answers the contract body to a valid token', async (t, databaseUrl) => {
  const { app } = await buildTestApp(t, { DATABASE_URL: databaseUrl })
  const user = await registerAndLogin(app)
  const response = await app.inject({ method: 'GET', url: '/protected', headers: bearer(user.tokens.access_token) })
  t.equal(response.statusCode, 200)
  t.match(response.headers['content-type'], /application\/json/)
  t.same(json(response), { message: 'This is a protected route!', user: { id: user.id, username: user.username } })
  const lower = await app.inject({ method: 'GET', url: '/protected', headers: { authorization: `bearer ${user.tokens.access_token}` } })
  t.equal(lower.statusCode, 200, 'B3: the scheme is case-insensitive')
})

t.test('B1: no credentials: 401 with a realm and no error', async (t) => {
  const { app } = await buildTestApp(t)
  const response = await app.inject({ method: 'GET', url: '/protected' })
  t.equal(response.statusCode, 401)
  t.match(response.headers['www-authenticate'], /^Bearer realm="[^"]+"$/)
  t.notMatch(response.headers['www-authenticate'], /error=/)
  t.match(response.headers['content-type'], /application\/problem\+json/)
  t.equal(json(response).status, 401)
  const basic = await app.inject({ method: 'GET', url: '/protected', headers: { authorization: 'Basic dXNlcjpwYXNz' } })
  t.equal(basic.statusCode, 401, 'another scheme is no bearer credential')
  t.notMatch(basic.headers['www-authenticate'], /error=/)
})

t.test('B2: a bad token: 401 with error="invalid_token"', async (t) => {
  const { app } = await buildTestApp(t)
  const user = await registerAndLogin(app)
  for (const token of ['garbage', `${user.tokens.access_token}x`, user.tokens.refresh_token]) {
    const response = await app.inject({ method: 'GET', url: '/protected', headers: bearer(token) })
    t.equal(response.statusCode, 401)
    t.match(response.headers['www-authenticate'], /error="invalid_token"/)
    t.match(response.headers['content-type'], /application\/problem\+json/)
  }
})

t.test('B3: a token in the query string or body is ignored', async (t) => {
  const { app } = await buildTestApp(t)
  const user = await registerAndLogin(app)
  const query = await app.inject({ method: 'GET', url: `/protected?access_token=${user.tokens.access_token}` })
  t.equal(query.statusCode, 401)
  t.notMatch(query.headers['www-authenticate'], /error=/, 'treated as no credentials at all')
})

t.test('A9: a revoked session stops /protected at once', async (t) => {
  const { app } = await buildTestApp(t)
  const user = await registerAndLogin(app)
  const sid = String((JSON.parse(Buffer.from(user.tokens.access_token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sid: unknown }).sid)
  t.equal((await app.inject({ method: 'GET', url: '/protected', headers: bearer(user.tokens.access_token) })).statusCode, 200)
  app.revocations.markRevoked([sid])
  t.equal((await app.inject({ method: 'GET', url: '/protected', headers: bearer(user.tokens.access_token) })).statusCode, 401, 'even with the verify cache warm')
})
