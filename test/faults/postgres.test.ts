import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'kysely'
import pg from 'pg'
import t, { type Test } from 'tap'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { buildTestApp, json } from '../helpers/app.js'
import { createPostgresDatabase, postgresAdminUrl, POSTGRES_SKIP_REASON } from '../helpers/databases.js'
import { TcpProxy } from '../helpers/tcp-proxy.js'
import { bearer, registerAndLogin } from '../helpers/users.js'

/**
 * I3: a PostgreSQL fault never ends the process. The app talks to the real PostgreSQL through a
 * cuttable TCP proxy; every fault answers 503 problem+json within the bound, and the app
 * recovers by itself once the database is back.
 */
const ROUNDS = 20
const IN_FLIGHT = 6
/** DATABASE_STATEMENT_TIMEOUT_MS / DATABASE_CONNECT_TIMEOUT_MS defaults (2 s), plus scheduling slack. */
const FAULT_BOUND_MS = 2600
const RECOVERY_DEADLINE_MS = 10_000

if (postgresAdminUrl === undefined) {
  t.plan(0, POSTGRES_SKIP_REASON)
} else {
  const adminUrl = postgresAdminUrl

  async function setUp (t: Test): Promise<{ app: FastifyInstance, proxy: TcpProxy, direct: string, token: string }> {
    const direct = await createPostgresDatabase(t)
    const target = new URL(adminUrl)
    const proxy = await TcpProxy.start(t, { host: target.hostname, port: Number(target.port === '' ? 5432 : target.port) })
    const { app } = await buildTestApp(t, { DATABASE_URL: proxy.urlFor(direct), PRUNE_INTERVAL: '0' })
    const user = await registerAndLogin(app)
    return { app, proxy, direct, token: user.tokens.access_token }
  }

  function assertUnavailable (t: Test, response: LightMyRequestResponse, label: string): void {
    t.equal(response.statusCode, 503, `${label}: 503`)
    t.match(response.headers['content-type'], /^application\/problem\+json/, `${label}: a problem document`)
    const body = json(response)
    t.equal(body.type, 'urn:secure-api:problem:service-unavailable')
    // Never a driver message, SQL or a stack.
    t.notMatch(response.body, /select|insert|terminated|timeout|pg_|at \w+ \(/i, `${label}: nothing leaks`)
  }

  /** Polls GET /notes until 200; the milliseconds it took. Fails the test past the deadline. */
  async function recovery (app: FastifyInstance, token: string): Promise<number> {
    const start = Date.now()
    while (Date.now() - start < RECOVERY_DEADLINE_MS) {
      const response = await app.inject({ method: 'GET', url: '/notes', headers: bearer(token) })
      if (response.statusCode === 200) return Date.now() - start
      if (response.statusCode !== 503) throw new Error(`unexpected ${response.statusCode} while recovering`)
      await sleep(20)
    }
    throw new Error(`no recovery within ${RECOVERY_DEADLINE_MS} ms`)
  }

  /** Waits (bounded) until `count` of our backends wait on a lock: the requests are in flight, mid-query. */
  async function waitForLockWaiters (admin: pg.Client, database: string, count: number): Promise<void> {
    const deadline = Date.now() + 5000
    while (Date.now() < deadline) {
      const result = await admin.query<{ n: string }>("select count(*) as n from pg_stat_activity where datname = $1 and wait_event_type = 'Lock'", [database])
      if (Number(result.rows[0]?.n ?? 0) >= count) return
      await sleep(10)
    }
    throw new Error(`fewer than ${count} queries in flight after 5 s`)
  }

  t.test(`reset mid-query with ${IN_FLIGHT} queries in flight, ${ROUNDS} rounds: alive, 503, then 200`, async (t) => {
    const { app, proxy, direct, token } = await setUp(t)
    const database = new URL(direct).pathname.slice(1)
    // Direct to PostgreSQL, not through the proxy: it holds the lock that keeps requests mid-query.
    const admin = new pg.Client({ connectionString: direct })
    await admin.connect()
    t.teardown(async () => { await admin.end() })
    const latencies: number[] = []
    const recoveries: number[] = []
    let survived = 0
    for (let round = 1; round <= ROUNDS; round++) {
      // Open connections first: a backend still starting up is not mid-query yet.
      await Promise.all(Array.from({ length: IN_FLIGHT }, async () => await sql`select pg_sleep(0.05)`.execute(app.db)))
      await admin.query('begin')
      await admin.query('lock table notes in access exclusive mode')
      const requests = Array.from({ length: IN_FLIGHT }, async (_unused, index) => await (index % 2 === 0
        ? app.inject({ method: 'GET', url: '/notes', headers: bearer(token) })
        : app.inject({ method: 'POST', url: '/notes', headers: bearer(token), payload: { title: `round ${round}`, body: 'mid-query' } })))
      await waitForLockWaiters(admin, database, IN_FLIGHT)
      const cut = Date.now()
      proxy.resetAll()
      const responses = await Promise.all(requests)
      latencies.push(Date.now() - cut)
      await admin.query('rollback')
      const bad = responses.filter((response) => response.statusCode !== 503)
      if (bad.length > 0) t.fail(`round ${round}: ${bad.map((response) => response.statusCode).join(',')}`)
      else assertUnavailable(t, responses[0] as LightMyRequestResponse, `round ${round}`)
      recoveries.push(await recovery(app, token))
      survived++
    }
    t.equal(survived, ROUNDS, `${survived}/${ROUNDS} rounds: the process is alive and serving`)
    t.ok(Math.max(...latencies) < FAULT_BOUND_MS, 'every in-flight request answered within the bound')
    t.comment(`mid-query reset: ${survived}/${ROUNDS} survived; 503 latency max ${Math.max(...latencies)} ms; recovery max ${Math.max(...recoveries)} ms, median ${recoveries.sort((a, b) => a - b)[Math.floor(ROUNDS / 2)] ?? 0} ms`)
  })

  t.test('black hole: 503 within the bound, recovery by itself after restore', async (t) => {
    const { app, proxy, token } = await setUp(t)
    proxy.blackhole()
    // One request on a pooled connection, more than the pool would need new connections for.
    const start = Date.now()
    const responses = await Promise.all(Array.from({ length: 12 }, async () => await app.inject({ method: 'GET', url: '/notes', headers: bearer(token) })))
    const latency = Date.now() - start
    for (const response of responses) assertUnavailable(t, response, 'black hole')
    t.ok(latency < FAULT_BOUND_MS, `black hole answered 503 in ${latency} ms (bound ${FAULT_BOUND_MS} ms)`)
    const ready = await app.inject({ method: 'GET', url: '/health/ready' })
    t.equal(ready.statusCode, 503, 'readiness says the database is down')
    proxy.restore()
    const recovered = await recovery(app, token)
    t.comment(`black hole: 503 after ${latency} ms; recovery after restore ${recovered} ms`)
  })

  t.test('database restart (connections reset, new ones refused): fast 503, then recovery', async (t) => {
    const { app, proxy, token } = await setUp(t)
    proxy.down()
    const start = Date.now()
    const response = await app.inject({ method: 'GET', url: '/notes', headers: bearer(token) })
    const latency = Date.now() - start
    assertUnavailable(t, response, 'restart')
    t.ok(latency < FAULT_BOUND_MS, `restart answered 503 in ${latency} ms`)
    await sleep(500)
    proxy.restore()
    const recovered = await recovery(app, token)
    t.comment(`restart: 503 after ${latency} ms; recovery after the server is back ${recovered} ms`)
  })
}
