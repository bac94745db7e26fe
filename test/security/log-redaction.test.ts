import { randomBytes } from 'node:crypto'
import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { bearer, login, registerUser, uniqueUsername } from '../helpers/users.js'

type LogLine = Record<string, unknown>

function audits (logs: LogLine[], event: string): LogLine[] {
  return logs.flatMap((line) => {
    const audit = line.audit as LogLine | undefined
    return audit?.event === event ? [audit] : []
  })
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

t.test('H2: passwords, tokens, refresh tokens, Authorization and Cookie never reach a log line', async (t) => {
  // trace: the most a debugging operator could switch on must still redact.
  const { app, rawLogs } = await buildTestApp(t, { LOG_LEVEL: 'trace' })
  const password = `canary-password-${randomBytes(8).toString('hex')}`
  const wrongPassword = `canary-wrong-${randomBytes(8).toString('hex')}`
  const cookie = `canary-cookie-${randomBytes(8).toString('hex')}`
  const user = await registerUser(app, uniqueUsername(), password)
  const tokens = await login(app, user.username, password)
  const accessSignature = tokens.access_token.split('.')[2] ?? ''

  t.equal((await app.inject({ method: 'GET', url: '/protected', headers: { ...bearer(tokens.access_token), cookie: `session=${cookie}` } })).statusCode, 200)
  t.equal((await app.inject({ method: 'GET', url: '/auth/me', headers: bearer(tokens.access_token) })).statusCode, 200)
  // A token where it does not belong: the query string is cut from the logged path.
  await app.inject({ method: 'GET', url: `/protected?access_token=${tokens.access_token}&refresh_token=${tokens.refresh_token}` })
  await app.inject({ method: 'GET', url: `/nope?token=${tokens.refresh_token}` })
  // A rejected token is logged as a warning, without the token.
  t.equal((await app.inject({ method: 'GET', url: '/protected', headers: bearer(`${tokens.access_token}x`) })).statusCode, 401)
  t.equal((await app.inject({ method: 'POST', url: '/auth/login', payload: { username: user.username, password: wrongPassword } })).statusCode, 401)
  t.equal((await app.inject({ method: 'POST', url: '/auth/login', payload: { username: 'ghost.user', password: wrongPassword } })).statusCode, 401)
  const refreshed = await app.inject({ method: 'POST', url: '/auth/refresh', payload: { refresh_token: tokens.refresh_token } })
  const refreshedBody = refreshed.statusCode === 200 ? JSON.parse(refreshed.body) as { access_token: string, refresh_token: string } : undefined
  // A rejected body (validation error) carrying a password.
  await app.inject({ method: 'POST', url: '/auth/register', payload: { username: 'bad name', password } })
  await app.inject({ method: 'POST', url: '/auth/register', payload: { username: uniqueUsername(), password, extra: password } })

  const raw = rawLogs()
  t.match(raw, /"event":"login","outcome":"success"/, 'the requests were logged: the check below is not vacuous')
  // One access line per request since issue 10 (Fastify's incoming/completed pair is disabled).
  t.match(raw, /request completed/)
  t.match(raw, /auth_invalid_token/)
  const canaries: Record<string, string> = {
    password,
    wrongPassword,
    cookie,
    accessToken: tokens.access_token,
    accessSignature,
    refreshToken: tokens.refresh_token,
    ...(refreshedBody === undefined ? {} : { rotatedAccess: refreshedBody.access_token, rotatedRefresh: refreshedBody.refresh_token })
  }
  for (const [name, canary] of Object.entries(canaries)) {
    t.notOk(raw.includes(canary), `${name} is not in the logs`)
  }
  t.notMatch(raw, /\$argon2/, 'no password hash either')
  t.notMatch(raw, /Bearer [A-Za-z0-9_-]{10}/, 'no Authorization value')
})

t.test('H1: one structured audit event per registration and per login success or failure', async (t) => {
  // Not destructured: `logs` is a getter, read after the requests.
  const testApp = await buildTestApp(t)
  const { app } = testApp
  const username = uniqueUsername()
  const registered = await app.inject({ method: 'POST', url: '/auth/register', payload: { username, password: 'orbit-lantern-quietly-47-meadow' }, headers: { 'x-request-id': 'audit-register-1' } })
  t.equal(registered.statusCode, 201)
  const ok = await app.inject({ method: 'POST', url: '/auth/login', payload: { username, password: 'orbit-lantern-quietly-47-meadow' }, headers: { 'x-request-id': 'audit-login-ok' } })
  t.equal(ok.statusCode, 200)
  const bad = await app.inject({ method: 'POST', url: '/auth/login', payload: { username, password: 'not-the-password-at-all' }, headers: { 'x-request-id': 'audit-login-bad' } })
  t.equal(bad.statusCode, 401)
  const ghost = await app.inject({ method: 'POST', url: '/auth/login', payload: { username: 'nobody.here', password: 'not-the-password-at-all' }, headers: { 'x-request-id': 'audit-login-ghost' } })
  t.equal(ghost.statusCode, 401)

  const logs = testApp.logs
  const registrations = audits(logs, 'register')
  t.equal(registrations.length, 1, 'one line for the registration')
  t.match(registrations[0], { event: 'register', outcome: 'success', username, ip: '127.0.0.1', request_id: String, client_request_id: 'audit-register-1' })
  t.not(registrations[0]?.request_id, 'audit-register-1', 'J3: a client\'s X-Request-Id is kept apart, not trusted as the audit request id')
  const logins = audits(logs, 'login')
  t.equal(logins.length, 3, 'one line per login attempt')
  const byRequest = new Map(logins.map((entry) => [entry.client_request_id, entry]))
  t.match(byRequest.get('audit-login-ok'), { outcome: 'success', username, ip: '127.0.0.1' })
  t.type(byRequest.get('audit-login-ok')?.user_id, 'string', 'who: the user id')
  t.match(byRequest.get('audit-login-bad'), { outcome: 'failure', username, ip: '127.0.0.1' })
  t.match(byRequest.get('audit-login-ghost'), { outcome: 'failure', username: 'nobody.here', ip: '127.0.0.1' }, 'the attempted username of an unknown account')
  for (const entry of [...registrations, ...logins]) {
    t.match(entry.at, ISO_UTC, 'when, in UTC')
    t.ok(Math.abs(Date.parse(String(entry.at)) - Date.now()) < 60_000)
  }
  const lines = logs.filter((line) => (line.audit as LogLine | undefined)?.event === 'login')
  for (const line of lines) t.equal(line.level, 'info', 'audit events survive the default level')
})

t.test('H4: user-supplied strings stay inside JSON-escaped fields; every log line is one JSON object', async (t) => {
  const testApp = await buildTestApp(t)
  const { app, rawLogs } = testApp
  const injected = 'x\n{"level":"fatal","msg":"pwned"}'
  const invalid = await app.inject({ method: 'POST', url: '/auth/login', payload: { username: injected, password: 'whatever-password-1' } })
  t.equal(invalid.statusCode, 400, 'the schema refuses a newline in a username')
  const agent = 'evil"}\n{"level":"fatal","msg":"pwned"}'
  const failed = await app.inject({ method: 'POST', url: '/auth/login', payload: { username: 'valid.name', password: 'whatever-password-1' }, headers: { 'user-agent': agent } })
  t.equal(failed.statusCode, 401)
  await app.inject({ method: 'GET', url: '/nope%0A%7B%22level%22%3A%22fatal%22%7D', headers: { 'x-request-id': 'ok-id' } })

  const raw = rawLogs()
  const lines = raw.split('\n').filter((line) => line.length > 0)
  t.ok(lines.length > 3)
  for (const line of lines) {
    const parsed = JSON.parse(line) as LogLine
    t.not(parsed.level, 'fatal', 'no forged fatal line')
    t.not(parsed.msg, 'pwned')
  }
  const failure = audits(testApp.logs, 'login').find((entry) => entry.outcome === 'failure')
  t.equal(failure?.user_agent, agent, 'the header is kept verbatim, inside its field')
  await app.inject({ method: 'POST', url: '/auth/login', payload: { username: 'valid.name', password: 'whatever-password-1' }, headers: { 'user-agent': 'u'.repeat(10_000) } })
  const long = audits(testApp.logs, 'login').at(-1)
  t.equal(String(long?.user_agent).length, 256, 'a huge User-Agent is cut in the audit line')
})
