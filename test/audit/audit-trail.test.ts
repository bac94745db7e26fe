import t from 'tap'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { buildTestApp, json } from '../helpers/app.js'
import { onEachDatabase } from '../helpers/databases.js'
import { claimsOf } from '../helpers/sessions.js'
import type { AuditEvent } from '../../src/schemas/audit.js'
import { bearer, login, registerUser, STRONG_PASSWORD, uniqueUsername, type Tokens } from '../helpers/users.js'

interface AuditPage {
  items: AuditEvent[]
  next_cursor: string | null
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/
const NEW_PASSWORD = 'violet-harbour-seventy-2-canyon'

/** What the test expects one request to have left in audit_events. */
interface Expected {
  label: string
  type: string
  outcome: string
  actor: string | null
  subject: string | null
  /** The X-Request-Id the server answered with: the audit row must carry the same (J3: we sent none). */
  requestId: string
  session?: string
  details?: Record<string, unknown>
}

function requestIdOf (response: LightMyRequestResponse): string {
  const id = response.headers['x-request-id']
  if (typeof id !== 'string') throw new Error('no X-Request-Id on the response')
  return id
}

async function readAll (app: FastifyInstance, token: string, query: string): Promise<AuditEvent[]> {
  const items: AuditEvent[] = []
  let cursor: string | null = null
  for (let pages = 0; pages < 50; pages++) {
    const url: string = `/admin/audit-events?${query}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`
    const response = await app.inject({ method: 'GET', url, headers: bearer(token) })
    if (response.statusCode !== 200) throw new Error(`GET ${url}: ${response.statusCode} ${response.body}`)
    const page = json<AuditPage>(response)
    items.push(...page.items)
    cursor = page.next_cursor
    if (cursor === null) break
  }
  return items
}

/** Writes every pending denial (waiting for a flush the 2 s timer may have started). */
async function flushDenials (app: FastifyInstance): Promise<void> {
  await app.denials.flush()
}

/** Newest first on (at, id), as the keyset cursor orders them. */
function isNewestFirst (items: AuditEvent[]): boolean {
  return items.every((item, i) => {
    const next = items[i + 1]
    return next === undefined || item.at > next.at || (item.at === next.at && item.id > next.id)
  })
}

onEachDatabase(t, 'J1/H1: every security event is stored in audit_events with who, when, IP, request id and outcome, even with LOG_LEVEL=silent', async (t, databaseUrl) => {
  // FREE_FAILURES=2 with LOCK_THRESHOLD=2: no back-off before the lock, so the second wrong
  // password locks at once (with FREE_FAILURES=1 it would be refused by the 1 s back-off first).
  const testApp = await buildTestApp(t, { DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent', LOGIN_FREE_FAILURES: '2', LOGIN_LOCK_THRESHOLD: '2', LOGIN_LOCK_SECONDS: '600' })
  const { app } = testApp
  const started = new Date().toISOString()
  const expected: Expected[] = []
  const post = async (url: string, payload?: Record<string, unknown>, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> =>
    await app.inject({ method: 'POST', url, ...(payload === undefined ? {} : { payload }), headers })

  // An administrator, made the way an operator would, then signed in again to get the role in the token.
  const adminRegistered = await post('/auth/register', { username: uniqueUsername('admin'), password: STRONG_PASSWORD })
  t.equal(adminRegistered.statusCode, 201)
  const admin = json<{ id: string, username: string }>(adminRegistered)
  await app.db.updateTable('users').set({ roles: JSON.stringify(['user', 'admin']) }).where('id', '=', admin.id).execute()
  const adminTokens = await login(app, admin.username)

  // Registration.
  const username = uniqueUsername('audited')
  const registered = await post('/auth/register', { username, password: STRONG_PASSWORD })
  t.equal(registered.statusCode, 201, 'register')
  const userId = json<{ id: string }>(registered).id
  expected.push({ label: 'register', type: 'register', outcome: 'success', actor: userId, subject: userId, requestId: requestIdOf(registered), details: { username } })

  // A wrong password.
  const failed = await post('/auth/login', { username, password: 'not-the-password-at-all' })
  t.equal(failed.statusCode, 401, 'wrong password')
  expected.push({ label: 'login failure', type: 'login', outcome: 'failure', actor: userId, subject: userId, requestId: requestIdOf(failed), details: { username } })

  // A successful login.
  const loggedIn = await post('/auth/login', { username, password: STRONG_PASSWORD })
  t.equal(loggedIn.statusCode, 200, 'login')
  const first = json<Tokens>(loggedIn)
  const firstSession = String(claimsOf(first.access_token).sid)
  expected.push({ label: 'login success', type: 'login', outcome: 'success', actor: userId, subject: userId, requestId: requestIdOf(loggedIn), session: firstSession, details: { username } })

  // A refresh.
  const refreshed = await post('/auth/refresh', { refresh_token: first.refresh_token })
  t.equal(refreshed.statusCode, 200, 'refresh')
  expected.push({ label: 'refresh', type: 'refresh', outcome: 'success', actor: userId, subject: userId, requestId: requestIdOf(refreshed), session: firstSession })

  // The rotated refresh token again: reuse, the session is revoked.
  const reused = await post('/auth/refresh', { refresh_token: first.refresh_token })
  t.equal(reused.statusCode, 401, 'refresh token reuse')
  t.equal((await app.inject({ method: 'GET', url: '/protected', headers: bearer(json<Tokens>(refreshed).access_token) })).statusCode, 401, 'the reused session is revoked')
  expected.push({ label: 'refresh reuse', type: 'refresh_reuse_detected', outcome: 'detected', actor: userId, subject: userId, requestId: requestIdOf(reused), session: firstSession })

  // A logout.
  const second = await login(app, username)
  const secondSession = String(claimsOf(second.access_token).sid)
  const loggedOut = await post('/auth/logout', undefined, bearer(second.access_token))
  t.equal(loggedOut.statusCode, 204, 'logout')
  expected.push({ label: 'logout', type: 'logout', outcome: 'success', actor: userId, subject: userId, requestId: requestIdOf(loggedOut), session: secondSession })

  // A password change.
  const third = await login(app, username)
  const thirdSession = String(claimsOf(third.access_token).sid)
  const changed = await post('/auth/password', { current_password: STRONG_PASSWORD, new_password: NEW_PASSWORD }, bearer(third.access_token))
  t.equal(changed.statusCode, 204, 'password change')
  expected.push({ label: 'password change', type: 'password_change', outcome: 'success', actor: userId, subject: userId, requestId: requestIdOf(changed), session: thirdSession })

  // A lockout, then a throttled attempt.
  const victim = await registerUser(app, uniqueUsername('victim'))
  const wrong1 = await post('/auth/login', { username: victim.username, password: 'not-the-password-at-all' })
  t.equal(wrong1.statusCode, 401, 'first wrong password of the victim')
  const wrong2 = await post('/auth/login', { username: victim.username, password: 'not-the-password-at-all' })
  t.equal(wrong2.statusCode, 401, 'second wrong password: the account locks')
  expected.push({ label: 'lockout', type: 'account_locked', outcome: 'detected', actor: victim.id, subject: victim.id, requestId: requestIdOf(wrong2), details: { username: victim.username, consecutive_failures: 2 } })
  const throttled = await post('/auth/login', { username: victim.username, password: STRONG_PASSWORD })
  t.equal(throttled.statusCode, 429, 'a locked account is throttled, even with the right password')
  expected.push({ label: 'login throttled', type: 'login_throttled', outcome: 'denied', actor: null, subject: null, requestId: requestIdOf(throttled), details: { username: victim.username, locked: true } })

  // Administrator actions on the audited user.
  const disabled = await app.inject({ method: 'PATCH', url: `/admin/users/${userId}`, payload: { disabled: true }, headers: bearer(adminTokens.access_token) })
  t.equal(disabled.statusCode, 200, 'admin disables the user')
  expected.push({ label: 'admin disable', type: 'admin_user_update', outcome: 'success', actor: admin.id, subject: userId, requestId: requestIdOf(disabled), details: { target_username: username, changes: { disabled: true } } })
  const ended = await app.inject({ method: 'DELETE', url: `/admin/users/${userId}/sessions`, headers: bearer(adminTokens.access_token) })
  t.equal(ended.statusCode, 204, 'admin ends the user\'s sessions')
  expected.push({ label: 'admin end sessions', type: 'admin_end_sessions', outcome: 'success', actor: admin.id, subject: userId, requestId: requestIdOf(ended), details: { target_username: username } })
  const finished = new Date().toISOString()

  // Read through the database and through the API, with nothing left pending that the timer could add between the two.
  await flushDenials(app)
  const rows = await app.db.selectFrom('audit_events').selectAll().execute()
  const viaApi = await readAll(app, adminTokens.access_token, 'limit=100')
  t.equal(viaApi.length, rows.length, 'the API shows every stored row')

  for (const want of expected) {
    const stored = rows.filter((row) => row.request_id === want.requestId && row.type === want.type && row.outcome === want.outcome)
    t.equal(stored.length, 1, `J1: one ${want.type} row for the ${want.label}`)
    const row = stored[0]
    if (row === undefined) continue
    t.match(row, {
      type: want.type,
      outcome: want.outcome,
      actor_id: want.actor,
      subject_id: want.subject,
      ip: '127.0.0.1',
      user_agent: 'lightMyRequest',
      request_id: want.requestId,
      client_request_id: null,
      count: 1,
      bucket: null
    }, `H1: who, where, request id and outcome of the ${want.label}`)
    if (want.session !== undefined) t.equal(row.session_id, want.session, `the session of the ${want.label}`)
    t.match(row.at, ISO_UTC, `H1: when, in UTC (${want.label})`)
    t.ok(row.at >= started && row.at <= finished, `the time of the ${want.label} is now`)
    if (want.details !== undefined) t.match(JSON.parse(row.details), want.details, `details of the ${want.label}`)
    const item = viaApi.find((event) => event.id === row.id)
    t.same(item, {
      id: row.id,
      at: row.at,
      type: row.type,
      outcome: row.outcome,
      actor_id: row.actor_id,
      subject_id: row.subject_id,
      session_id: row.session_id,
      ip: row.ip,
      user_agent: row.user_agent,
      request_id: row.request_id,
      client_request_id: row.client_request_id,
      count: row.count,
      details: JSON.parse(row.details) as Record<string, unknown>
    }, `J1: the admin API shows the ${want.label} as stored`)
  }
  t.equal(rows.filter((row) => row.type === 'password_change' && row.outcome === 'success').length, 1, 'J1: one password change, one success row, committed with it')
  const user = await app.db.selectFrom('users').select(['password_hash', 'disabled']).where('id', '=', userId).executeTakeFirstOrThrow()
  t.ok(await app.passwords.verify(user.password_hash, NEW_PASSWORD), 'the change that row records is there too')
  t.equal(user.disabled, 1, 'and so is the admin change')
  t.equal(rows.filter((row) => row.type === 'account_locked').length, 1, 'one lockout, one row')
  t.equal(rows.filter((row) => row.type === 'refresh_reuse_detected').length, 1, 'J1: one reuse, one refresh_reuse_detected row')
  t.notOk(JSON.stringify(rows).includes(STRONG_PASSWORD), 'H2: no password in the audit trail')
  t.notOk(JSON.stringify(rows).includes(first.refresh_token), 'H2: no refresh token in the audit trail')
  t.equal(testApp.rawLogs(), '', 'LOG_LEVEL=silent wrote no line: the rows above did not depend on logging')

  // Newest first, and every filter.
  t.ok(isNewestFirst(viaApi), 'newest first')
  const logins = await readAll(app, adminTokens.access_token, 'type=login&limit=100')
  t.same(logins.map((event) => event.id).sort(), rows.filter((row) => row.type === 'login').map((row) => row.id).sort(), 'type= keeps exactly that type')
  t.ok(logins.length >= 3)
  const mine = await readAll(app, adminTokens.access_token, `user_id=${userId}&limit=100`)
  t.same(mine.map((event) => event.id).sort(), rows.filter((row) => row.actor_id === userId || row.subject_id === userId).map((row) => row.id).sort(), 'user_id= keeps what the user did or underwent')
  t.ok(mine.some((event) => event.actor_id === admin.id), 'including the admin\'s actions on the user')
  const pivot = expected.find((want) => want.label === 'lockout')
  const pivotAt = rows.find((row) => row.request_id === pivot?.requestId)?.at ?? started
  const since = await readAll(app, adminTokens.access_token, `since=${encodeURIComponent(pivotAt)}&limit=100`)
  const until = await readAll(app, adminTokens.access_token, `until=${encodeURIComponent(pivotAt)}&limit=100`)
  t.ok(since.length > 0 && until.length > 0, 'both sides of the pivot hold events')
  t.ok(since.every((event) => event.at >= pivotAt), 'since= is inclusive')
  t.ok(until.every((event) => event.at < pivotAt), 'until= is exclusive')
  t.same([...since, ...until].map((event) => event.id).sort(), rows.map((row) => row.id).sort(), 'since and until split the trail without loss or overlap')
  const window = await readAll(app, adminTokens.access_token, `type=login&user_id=${userId}&since=${encodeURIComponent(started)}&until=${encodeURIComponent(finished.replace('Z', '+00:00'))}&limit=100`)
  t.same(window.map((event) => event.id).sort(), rows.filter((row) => row.type === 'login' && (row.actor_id === userId || row.subject_id === userId)).map((row) => row.id).sort(), 'filters combine; an offset time is accepted')

  // Bounds the schema accepts as date-time must not break the query (a 500) or invert it.
  const leapSecond = await app.inject({ method: 'GET', url: '/admin/audit-events?since=2016-12-31T23:59:60Z', headers: bearer(adminTokens.access_token) })
  t.equal(leapSecond.statusCode, 400, 'a leap second in since= is a 400 problem, not a 500')
  const farFuture = await app.inject({ method: 'GET', url: `/admin/audit-events?since=${encodeURIComponent('9999-12-31T23:59:59-23:59')}`, headers: bearer(adminTokens.access_token) })
  t.ok(farFuture.statusCode === 400 || (farFuture.statusCode === 200 && json<AuditPage>(farFuture).items.length === 0), 'a since= past year 9999 (after its offset) selects nothing')

  // Cursor pagination, two at a time.
  const walked: AuditEvent[] = []
  let cursor: string | null = null
  let pages = 0
  do {
    const url: string = `/admin/audit-events?limit=2${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`
    const response = await app.inject({ method: 'GET', url, headers: bearer(adminTokens.access_token) })
    t.equal(response.statusCode, 200)
    const page = json<AuditPage>(response)
    t.ok(page.items.length <= 2 && page.items.length > 0, 'pages of at most 2')
    walked.push(...page.items)
    cursor = page.next_cursor
    pages++
  } while (cursor !== null && pages < 100)
  t.equal(pages, Math.ceil(rows.length / 2), 'every page walked')
  t.equal(new Set(walked.map((event) => event.id)).size, walked.length, 'no duplicates')
  t.same(walked.map((event) => event.id), viaApi.map((event) => event.id), 'the same events in the same newest-first order')

  // Refusals.
  const badCursor = await app.inject({ method: 'GET', url: '/admin/audit-events?cursor=bm90LWEtY3Vyc29y', headers: bearer(adminTokens.access_token) })
  t.equal(badCursor.statusCode, 400, 'a cursor we did not issue is a 400')
  t.match(badCursor.headers['content-type'], /application\/problem\+json/)
  const nonAdmin = await registerUser(app, uniqueUsername('plain'))
  const nonAdminTokens = await login(app, nonAdmin.username)
  const forbidden = await app.inject({ method: 'GET', url: '/admin/audit-events', headers: bearer(nonAdminTokens.access_token) })
  t.equal(forbidden.statusCode, 403, 'a user is refused the audit trail')
  t.notOk(forbidden.body.includes(userId), 'and sees none of it')
  const anonymous = await app.inject({ method: 'GET', url: '/admin/audit-events' })
  t.equal(anonymous.statusCode, 401, 'no token, no audit trail')
  t.notOk(anonymous.body.includes(userId))

  // The refusals are security events too (J1: authorization denials), aggregated (J2).
  await flushDenials(app)
  const denied = await app.db.selectFrom('audit_events').selectAll().where('type', '=', 'authorization_denied').execute()
  t.equal(denied.length, 1, 'J1: the refused user is on record')
  t.match(denied[0], { outcome: 'denied', actor_id: nonAdmin.id, ip: '127.0.0.1', count: 1, request_id: requestIdOf(forbidden) })
  const missing = await app.db.selectFrom('audit_events').selectAll().where('type', '=', 'auth_missing_credentials').execute()
  t.equal(missing.length, 1, 'J1: the anonymous request is on record')
  t.match(missing[0], { outcome: 'denied', actor_id: null, ip: '127.0.0.1', count: 1 })
  t.equal(testApp.rawLogs(), '', 'still silent')
})
