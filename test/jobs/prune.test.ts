import { createHash, randomUUID } from 'node:crypto'
import pg from 'pg'
import t from 'tap'
import type { Kysely } from 'kysely'
import type { Database } from '../../src/db/schema.js'
import { PRUNE_LOCK_KEY, runPrune, type PrunePolicy } from '../../src/jobs/prune.js'
import { buildTestApp, json } from '../helpers/app.js'
import { onEachDatabase } from '../helpers/databases.js'
import { refresh, sessionIdOf, waitFor } from '../helpers/sessions.js'
import { bearer, registerAndLogin, type Tokens } from '../helpers/users.js'

/**
 * I5: every table stays bounded. Thirty days of a user who refreshes every hour (and logs in
 * again when the session's absolute lifetime ends each day), with device tokens and audit rows
 * written alongside, simulated by writing the rows the app writes with the simulated clock and
 * pruning as the job would. The counts after the first days stay flat.
 */
const DAYS = 30
const SESSION_SECONDS = 86400
const POLICY: PrunePolicy = { accessTokenTtlSeconds: 900, auditRetentionDays: 7 }
const START = Date.parse('2026-01-01T00:00:00.000Z')
const HOUR = 3_600_000

type Counts = Record<'sessions' | 'refresh_tokens' | 'device_tokens' | 'audit_events', number>

async function counts (db: Kysely<Database>): Promise<Counts> {
  const count = async (table: keyof Counts): Promise<number> => Number((await db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)
  return { sessions: await count('sessions'), refresh_tokens: await count('refresh_tokens'), device_tokens: await count('device_tokens'), audit_events: await count('audit_events') }
}

const iso = (ms: number): string => new Date(ms).toISOString()
const hash = (value: string): string => createHash('sha256').update(value).digest('base64url')

onEachDatabase(t, `${DAYS} days of hourly refreshes: row counts stay flat`, async (t, databaseUrl) => {
  const { app } = await buildTestApp(t, { DATABASE_URL: databaseUrl, PRUNE_INTERVAL: '0' })
  const user = await registerAndLogin(app)
  const db = app.db
  await db.deleteFrom('sessions').execute()
  const daily: Counts[] = []
  let sessionId = ''
  let sessionEnd = 0
  let currentToken = ''
  for (let hour = 0; hour < DAYS * 24; hour++) {
    const now = START + hour * HOUR
    if (now >= sessionEnd) {
      // A login: a new session and its first refresh token, as createSession writes them.
      sessionId = randomUUID()
      sessionEnd = now + SESSION_SECONDS * 1000
      await db.insertInto('sessions').values({ id: sessionId, user_id: user.id, created_at: iso(now), last_used_at: iso(now), expires_at: iso(sessionEnd), idle_expires_at: iso(Math.min(sessionEnd, now + 7 * 24 * HOUR)), revoked_at: null, revoked_reason: null, user_agent: null, ip: null, auth_version: 0, amr: '["pwd"]', acr: 'urn:secure-api:acr:password', auth_time: iso(now) }).execute()
      currentToken = hash(`${sessionId}:0`)
      await db.insertInto('refresh_tokens').values({ token_hash: currentToken, session_id: sessionId, created_at: iso(now), rotated_at: null }).execute()
      // A device token a day, valid a week; an audit row for the login.
      await db.insertInto('device_tokens').values({ id: randomUUID(), user_id: user.id, token_hash: hash(`device:${hour}`), created_at: iso(now), last_used_at: iso(now), expires_at: iso(now + 7 * 24 * HOUR), revoked_at: null, user_agent: null, ip: null }).execute()
    } else {
      // A refresh: the presented token is rotated, a new one is issued, as rotateRefreshToken writes them.
      await db.updateTable('refresh_tokens').set({ rotated_at: iso(now) }).where('token_hash', '=', currentToken).execute()
      currentToken = hash(`${sessionId}:${hour}`)
      await db.insertInto('refresh_tokens').values({ token_hash: currentToken, session_id: sessionId, created_at: iso(now), rotated_at: null }).execute()
      await db.updateTable('sessions').set({ last_used_at: iso(now), idle_expires_at: iso(Math.min(sessionEnd, now + 7 * 24 * HOUR)) }).where('id', '=', sessionId).execute()
    }
    await db.insertInto('audit_events').values({ id: randomUUID(), at: iso(now), type: 'token.refresh', outcome: 'success', actor_id: user.id, subject_id: user.id, session_id: sessionId, ip: null, user_agent: null, request_id: randomUUID(), client_request_id: null, details: '{}', count: 1, bucket: null }).execute()
    // The job, every 6 simulated hours.
    if (hour % 6 === 5) await runPrune(db, app.database.dialect, POLICY, new Date(now))
    if (hour % 24 === 23) daily.push(await counts(db))
  }
  const first = daily[POLICY.auditRetentionDays + 1] as Counts
  const last = daily.at(-1) as Counts
  t.comment(`day ${POLICY.auditRetentionDays + 2}: ${JSON.stringify(first)}; day ${DAYS}: ${JSON.stringify(last)} (unpruned: ${DAYS} sessions, ${DAYS * 24} refresh tokens, ${DAYS} device tokens, ${DAYS * 24} audit rows)`)
  for (const table of Object.keys(last) as Array<keyof Counts>) {
    const seen = daily.slice(POLICY.auditRetentionDays + 1).map((day) => day[table])
    t.ok(Math.max(...seen) - Math.min(...seen) <= 25, `${table} stays flat from day ${POLICY.auditRetentionDays + 2} on: ${Math.min(...seen)}..${Math.max(...seen)}`)
  }
  t.ok(last.sessions <= 2, 'one live session, and the last one only while it may still matter')
  t.ok(last.refresh_tokens <= 25, 'the live session\'s tokens only (kept for reuse detection)')
  t.ok(last.device_tokens <= 8, 'device tokens of the last week')
  t.ok(last.audit_events <= (POLICY.auditRetentionDays + 1) * 24, 'audit rows within AUDIT_RETENTION_DAYS')
})

onEachDatabase(t, 'pruning never breaks what still matters: reuse detection of a live session, a recent revocation', async (t, databaseUrl) => {
  const { app } = await buildTestApp(t, { DATABASE_URL: databaseUrl, PRUNE_INTERVAL: '0' })
  const policy: PrunePolicy = { accessTokenTtlSeconds: app.config.ACCESS_TOKEN_TTL, auditRetentionDays: app.config.AUDIT_RETENTION_DAYS }
  const user = await registerAndLogin(app)
  const rotated = await refresh(app, user.tokens.refresh_token)
  t.equal(rotated.statusCode, 200)
  const revoked = await registerAndLogin(app)
  t.equal((await app.inject({ method: 'POST', url: '/auth/logout', headers: bearer(revoked.tokens.access_token) })).statusCode, 204)

  const pruned = await runPrune(app.db, app.database.dialect, policy)
  t.match(pruned, { sessions: 0 }, 'a session revoked just now is kept (its access tokens may still live)')
  t.ok(pruned !== null && pruned.refreshTokens >= 1, 'the refresh tokens of the ended session are gone')
  t.equal((await app.inject({ method: 'GET', url: '/protected', headers: bearer(revoked.tokens.access_token) })).statusCode, 401, 'the revoked session stays revoked')

  const replay = await refresh(app, user.tokens.refresh_token)
  t.equal(replay.statusCode, 401, 'the rotated token of a live session still counts as a replay')
  const next = json<Tokens>(rotated)
  t.equal((await refresh(app, next.refresh_token)).statusCode, 401, 'and the replay ended the whole session')
  const row = await app.db.selectFrom('sessions').select('revoked_at').where('id', '=', sessionIdOf(user.tokens)).executeTakeFirstOrThrow()
  t.not(row.revoked_at, null)

  const later = await runPrune(app.db, app.database.dialect, policy, new Date(Date.now() + (policy.accessTokenTtlSeconds + 3601) * 1000))
  t.match(later, { sessions: 2 }, 'once they can no longer matter, ended sessions go')
})

onEachDatabase(t, 'on PostgreSQL one instance prunes at a time (advisory lock)', async (t, databaseUrl) => {
  const { app } = await buildTestApp(t, { DATABASE_URL: databaseUrl, PRUNE_INTERVAL: '0' })
  const policy: PrunePolicy = { accessTokenTtlSeconds: 900, auditRetentionDays: 365 }
  if (app.database.dialect === 'sqlite') {
    t.same(await runPrune(app.db, 'sqlite', policy), { refreshTokens: 0, sessions: 0, deviceTokens: 0, auditEvents: 0, webauthnChallenges: 0, recoveryTokens: 0 }, 'SQLite: one process, no lock to take')
    return
  }
  const other = new pg.Client({ connectionString: databaseUrl })
  await other.connect()
  t.teardown(async () => { await other.end() })
  await other.query('select pg_advisory_lock($1)', [PRUNE_LOCK_KEY])
  t.equal(await runPrune(app.db, 'postgres', policy), null, 'another instance holds the lock: this one skips')
  await other.query('select pg_advisory_unlock($1)', [PRUNE_LOCK_KEY])
  t.same(await runPrune(app.db, 'postgres', policy), { refreshTokens: 0, sessions: 0, deviceTokens: 0, auditEvents: 0, webauthnChallenges: 0, recoveryTokens: 0 }, 'free again: it prunes')
  const held = await other.query<{ n: string }>("select count(*) as n from pg_locks where locktype = 'advisory' and objid = $1", [PRUNE_LOCK_KEY])
  t.equal(Number(held.rows[0]?.n), 0, 'and released the lock in the end')
})

t.test('the job runs on its own shortly after start with PRUNE_INTERVAL set, and stops with the app', async (t) => {
  const testApp = await buildTestApp(t, { PRUNE_INTERVAL: '1' })
  const ran = await waitFor(async () => await Promise.resolve(testApp.logs.some((line) => line.msg === 'prune done')), 10_000)
  t.not(ran, -1, `a run was logged (after ${ran} ms)`)
  await testApp.app.close()
  const runs = testApp.logs.filter((line) => line.msg === 'prune done').length
  await new Promise((resolve) => setTimeout(resolve, 1500))
  t.equal(testApp.logs.filter((line) => line.msg === 'prune done').length, runs, 'no run after close')
})

t.test('PRUNE_INTERVAL=0 turns the job off', async (t) => {
  const testApp = await buildTestApp(t, { PRUNE_INTERVAL: '0' })
  await new Promise((resolve) => setTimeout(resolve, 1500))
  t.notOk(testApp.logs.some((line) => line.msg === 'prune done'))
})
