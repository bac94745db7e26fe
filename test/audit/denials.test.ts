import { randomUUID } from 'node:crypto'
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { auditRow } from '../../src/audit/audit-event.js'
import { buildTestApp } from '../helpers/app.js'
import { bearer, registerAndLogin } from '../helpers/users.js'

type LogLine = Record<string, unknown>

async function junkTokens (app: FastifyInstance, count: number, remoteAddress = '127.0.0.1'): Promise<void> {
  const responses = await Promise.all(Array.from({ length: count }, async (_, i) =>
    await app.inject({ method: 'GET', url: '/protected', remoteAddress, headers: bearer(`junk.token.${i}-${randomUUID()}`) })))
  if (responses.some((response) => response.statusCode !== 401)) throw new Error('a junk token was not refused with 401')
}

interface DenialRow { actor_id: string | null, ip: string | null, count: number, outcome: string, bucket: string | null }

async function rowsOfType (app: FastifyInstance, type: string): Promise<DenialRow[]> {
  return await app.db.selectFrom('audit_events').select(['actor_id', 'ip', 'count', 'outcome', 'bucket']).where('type', '=', type).execute()
}

/** Writes every pending denial (waiting for a flush the 2 s timer may have started). */
async function flushDenials (app: FastifyInstance): Promise<void> {
  await app.denials.flush()
}

function sum (rows: Array<{ count: number }>): number {
  return rows.reduce((total, row) => total + row.count, 0)
}

function securityWarnings (logs: LogLine[], event: string): LogLine[] {
  return logs.filter((line) => line.level === 'warn' && (line.security as LogLine | undefined)?.event === event)
}

t.test('J2/H3: 40 junk tokens are aggregated, counted exactly, and do not hide a user\'s refused role', async (t) => {
  const testApp = await buildTestApp(t, { LOG_LEVEL: 'info' })
  const { app } = testApp
  const user = await registerAndLogin(app)

  await junkTokens(app, 40)
  const forbidden = await app.inject({ method: 'GET', url: '/admin/users', headers: bearer(user.tokens.access_token) })
  t.equal(forbidden.statusCode, 403, 'a user is refused the admin list')
  await flushDenials(app)

  const invalid = await rowsOfType(app, 'auth_invalid_token')
  t.equal(sum(invalid), 40, 'J2: every junk token is counted, none dropped')
  t.ok(invalid.length >= 1 && invalid.length <= 2, `J2: aggregated into one row per minute, not 40 (${invalid.length})`)
  for (const row of invalid) {
    t.match(row, { outcome: 'denied', actor_id: null, ip: '127.0.0.1', bucket: /auth_invalid_token/ }, 'J2: keyed on the address when there is no actor')
  }
  const denied = await rowsOfType(app, 'authorization_denied')
  t.equal(denied.length, 1, 'J1: the refused role is on record')
  t.match(denied[0], { outcome: 'denied', actor_id: user.id, ip: '127.0.0.1', count: 1 }, 'J2: keyed on the user who was refused')

  const logs = testApp.logs
  const tokenWarnings = securityWarnings(logs, 'auth_invalid_token')
  t.ok(tokenWarnings.length > 0, 'H3: rejected tokens are logged at warn')
  t.ok(tokenWarnings.length < 40, `H3: but rate-limited (${tokenWarnings.length} lines for 40 tokens)`)
  const roleWarnings = securityWarnings(logs, 'authorization_denied')
  t.equal(roleWarnings.length, 1, 'H3: the refused role is still logged at warn after the flood (a budget per event type)')
  t.match(roleWarnings[0]?.security, { event: 'authorization_denied', user_id: user.id, ip: '127.0.0.1', path: '/admin/users' })
})

t.test('J2: a flood of 200 junk tokens is a handful of rows whose counts sum to 200', async (t) => {
  const { app } = await buildTestApp(t, { LOG_LEVEL: 'silent' })
  for (let round = 0; round < 4; round++) await junkTokens(app, 50, '192.0.2.77')
  await flushDenials(app)
  const rows = await rowsOfType(app, 'auth_invalid_token')
  t.equal(sum(rows), 200, 'J2: never silently dropped')
  t.ok(rows.length <= 2, `J2: aggregated per actor, type and minute (${rows.length} rows)`)
  t.ok(rows.every((row) => row.ip === '192.0.2.77' && row.actor_id === null && row.bucket !== null))
  // A later flood in the same minute adds to the same row(s), it does not make new ones.
  await junkTokens(app, 10, '192.0.2.77')
  await flushDenials(app)
  const after = await rowsOfType(app, 'auth_invalid_token')
  t.equal(sum(after), 210, 'J2: a second flush adds to the count')
  t.ok(after.length <= 3, 'J2: still a handful of rows')
})

t.test('J2: a flush() called while another flush is writing still writes what was added before it', async (t) => {
  const { app } = await buildTestApp(t, { LOG_LEVEL: 'silent' })
  const origin = { ip: '198.51.100.7', userAgent: null, requestId: randomUUID(), clientRequestId: null }
  app.denials.add(auditRow('auth_invalid_token', 'denied', { reason: 'first' }, origin))
  const inFlight = app.denials.flush()
  // Arrives while the first batch is being written (a request between the timer's flush and ours, or at close).
  app.denials.add(auditRow('auth_invalid_token', 'denied', { reason: 'second' }, { ...origin, ip: '198.51.100.8' }))
  await app.denials.flush()
  const rows = await rowsOfType(app, 'auth_invalid_token')
  t.equal(sum(rows), 2, 'J2: flush() resolves only once every denial added before the call is written')
  await inFlight
  await app.denials.flush()
  t.equal(sum(await rowsOfType(app, 'auth_invalid_token')), 2, 'a later flush does write them')
})

t.test('J2: junk from one IPv6 /64 is one actor, as the rate limits and the login throttle count it', async (t) => {
  const { app } = await buildTestApp(t, { LOG_LEVEL: 'silent' })
  // One subscriber holds a whole /64: rotating the low bits must not make a row per request.
  for (let i = 1; i <= 20; i++) await junkTokens(app, 1, `2001:db8:1:2::${i.toString(16)}`)
  await flushDenials(app)
  const rows = await rowsOfType(app, 'auth_invalid_token')
  t.equal(sum(rows), 20, 'J2: every one counted')
  t.ok(rows.length <= 2, `J2: aggregated for the /64 (${rows.length} rows)`)
})

t.test('J2: a flood of junk refresh tokens is aggregated like other rejected tokens', async (t) => {
  const { app } = await buildTestApp(t, { LOG_LEVEL: 'silent' })
  for (let i = 0; i < 30; i++) {
    const response = await app.inject({ method: 'POST', url: '/auth/refresh', remoteAddress: '192.0.2.99', payload: { refresh_token: randomUUID().replace(/-/g, '').padEnd(43, 'x') } })
    if (response.statusCode !== 401) throw new Error(`junk refresh token answered ${response.statusCode}`)
  }
  await flushDenials(app)
  const rows = await app.db.selectFrom('audit_events').select(['count', 'outcome', 'ip']).where('type', '=', 'refresh_invalid_token').where('ip', '=', '192.0.2.99').execute()
  t.equal(sum(rows), 30, 'J2: every rejected refresh token is on record')
  t.ok(rows.length <= 2, `J2: aggregated, not a row per junk token (${rows.length} rows)`)
})
