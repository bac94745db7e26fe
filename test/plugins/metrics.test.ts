import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { login, registerUser } from '../helpers/users.js'

const METRICS_TOKEN = 'metrics-token-that-is-at-least-32-chars'

t.test('/metrics is open in development and counts requests by route pattern, logins by outcome', async (t) => {
  const { app } = await buildTestApp(t, { NODE_ENV: 'development' })
  const user = await registerUser(app)
  await login(app, user.username)
  await app.inject({ method: 'POST', url: '/auth/login', payload: { username: user.username, password: 'wrong-password-for-metrics' } })
  await app.inject({ method: 'GET', url: '/no/such/secret-looking-id-123' })
  const response = await app.inject({ method: 'GET', url: '/metrics' })
  t.equal(response.statusCode, 200)
  t.match(response.headers['content-type'], /^text\/plain/)
  t.match(response.body, /http_request_duration_seconds_count\{method="POST",route="\/auth\/login",status="200"\} 1/)
  t.match(response.body, /auth_logins_total\{outcome="success"\} 1/)
  t.match(response.body, /auth_logins_total\{outcome="failure"\} 1/)
  t.match(response.body, /process_cpu_seconds_total/, 'default process metrics')
  t.notMatch(response.body, /secret-looking-id-123/, 'raw URLs never become labels')
  t.notMatch(response.body, new RegExp(user.username.replace(/\./g, '\\.')), 'no usernames in metrics')
})

t.test('/metrics is not served in production without METRICS_TOKEN', async (t) => {
  const { app } = await buildTestApp(t, { NODE_ENV: 'production', WEBAUTHN_ORIGINS: 'https://app.example.com' })
  const response = await app.inject({ method: 'GET', url: '/metrics' })
  t.equal(response.statusCode, 404)
  t.match(response.headers['content-type'], /application\/problem\+json/)
  const withHeader = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer anything-at-all-goes-here-ok' } })
  t.equal(withHeader.statusCode, 404, 'no token configured: nothing unlocks it')
})

t.test('/metrics in production with METRICS_TOKEN needs exactly that bearer token', async (t) => {
  const { app } = await buildTestApp(t, { NODE_ENV: 'production', METRICS_TOKEN, WEBAUTHN_ORIGINS: 'https://app.example.com' })
  const none = await app.inject({ method: 'GET', url: '/metrics' })
  t.equal(none.statusCode, 401)
  t.match(none.headers['www-authenticate'], /^Bearer realm="[^"]+"$/, 'B1: no error without credentials')
  t.match(none.headers['content-type'], /application\/problem\+json/)
  for (const authorization of [`Bearer ${METRICS_TOKEN}x`, `Bearer ${METRICS_TOKEN.slice(0, -1)}`, `Basic ${METRICS_TOKEN}`, METRICS_TOKEN]) {
    const wrong = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization } })
    t.equal(wrong.statusCode, 401, 'a wrong token is refused')
    t.match(wrong.headers['www-authenticate'], /error="invalid_token"/, 'B2: presented but wrong')
  }
  const right = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
  t.equal(right.statusCode, 200)
  t.match(right.body, /http_request_duration_seconds/)
  const lowerCase = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `bearer ${METRICS_TOKEN}` } })
  t.equal(lowerCase.statusCode, 200, 'B3: the scheme is case-insensitive')
})

t.test('a METRICS_TOKEN shorter than 32 characters is refused at start', async (t) => {
  await t.rejects(buildTestApp(t, { METRICS_TOKEN: 'short' }), /METRICS_TOKEN/)
})
