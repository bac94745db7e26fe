import t from 'tap'
import pg from 'pg'
import { buildTestApp, json } from '../helpers/app.js'
import { createPostgresDatabase, onEachDatabase, POSTGRES_SKIP_REASON, postgresAdminUrl } from '../helpers/databases.js'
import { freePort, redisPrefix, SHARED_REDIS_URL } from '../helpers/redis.js'
import { waitFor } from '../helpers/sessions.js'
import { STRONG_PASSWORD, uniqueUsername } from '../helpers/users.js'

t.test('/health answers 200 {status: ok}, is never rate-limited and carries the usual headers', async (t) => {
  const { app } = await buildTestApp(t, { RATE_LIMIT_MAX: '2' })
  for (let i = 0; i < 5; i++) {
    const response = await app.inject({ method: 'GET', url: '/health' })
    t.equal(response.statusCode, 200, `probe ${i + 1}`)
    t.same(json(response), { status: 'ok' })
  }
  const ready = await app.inject({ method: 'GET', url: '/health/ready' })
  t.equal(ready.statusCode, 200, 'readiness is not rate-limited either')
})

onEachDatabase(t, '/health/ready answers 200 with checks.database ok', async (t, databaseUrl) => {
  const { app } = await buildTestApp(t, { DATABASE_URL: databaseUrl })
  const response = await app.inject({ method: 'GET', url: '/health/ready' })
  t.equal(response.statusCode, 200)
  t.same(json(response), { status: 'ok', checks: { database: 'ok' } })
})

t.test('/health/ready answers 503 within 3 s when PostgreSQL goes away, while /health stays 200', { skip: postgresAdminUrl === undefined ? POSTGRES_SKIP_REASON : false }, async (t) => {
  const url = await createPostgresDatabase(t)
  const { app } = await buildTestApp(t, { DATABASE_URL: url })
  t.equal((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode, 200, 'ready while the database is there')

  const name = new URL(url).pathname.slice(1)
  const admin = new pg.Client({ connectionString: postgresAdminUrl })
  await admin.connect()
  await admin.query(`DROP DATABASE ${name} WITH (FORCE)`)
  await admin.end()

  const started = performance.now()
  const ready = await app.inject({ method: 'GET', url: '/health/ready' })
  const elapsed = performance.now() - started
  t.equal(ready.statusCode, 503)
  t.ok(elapsed < 3000, `answered in ${elapsed.toFixed(0)} ms`)
  t.match(ready.headers['content-type'], /application\/problem\+json/)
  t.match(json(ready), { status: 503, detail: /database/ })
  t.ok(Number(ready.headers['retry-after']) > 0, 'Retry-After')
  t.notMatch(ready.body, /does not exist|postgres|3D000|secure_api_test/i, 'no driver text reaches the client')
  const live = await app.inject({ method: 'GET', url: '/health' })
  t.equal(live.statusCode, 200, 'liveness does not depend on the database')
  const login = await app.inject({ method: 'POST', url: '/auth/login', payload: { username: 'someone', password: 'whatever-password-1' } })
  t.equal(login.statusCode, 503, 'a route that needs the database answers 503, not 500')
})

t.test('/health/ready checks Redis when REDIS_URL is set', async (t) => {
  const { app } = await buildTestApp(t, { REDIS_URL: SHARED_REDIS_URL, REDIS_KEY_PREFIX: redisPrefix(t) })
  const response = await app.inject({ method: 'GET', url: '/health/ready' })
  t.equal(response.statusCode, 200)
  t.same(json(response), { status: 'ok', checks: { database: 'ok', redis: 'ok' } })
})

t.test('/health/ready stays 200, marked degraded, within 3 s when Redis is unreachable: the service still serves', async (t) => {
  const port = await freePort()
  const { app } = await buildTestApp(t, { REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_KEY_PREFIX: redisPrefix(t) })
  const started = performance.now()
  const response = await app.inject({ method: 'GET', url: '/health/ready' })
  t.ok(performance.now() - started < 3000)
  t.equal(response.statusCode, 200, 'a Redis blip must not pull every instance out of the load balancer')
  t.same(json(response), { status: 'degraded', checks: { database: 'ok', redis: 'degraded' } })
  t.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200)
  const user = await app.inject({ method: 'POST', url: '/auth/register', payload: { username: uniqueUsername(), password: STRONG_PASSWORD } })
  t.equal(user.statusCode, 201, 'and it does serve: registration works without Redis')
})

t.test('/health/ready answers 503 as soon as the instance starts draining; in-flight answers say Connection: close', async (t) => {
  const { app } = await buildTestApp(t)
  let release = (): void => {}
  let started = (): void => {}
  const holding = new Promise<void>((resolve) => { started = resolve })
  app.get('/test-hold', async () => {
    started()
    await new Promise<void>((resolve) => { release = resolve })
    // Asked while draining, from inside the instance: readiness already says no.
    const ready = await app.inject({ method: 'GET', url: '/health/ready' }).catch(() => null)
    return { draining: app.draining, ready: ready?.statusCode ?? 'refused' }
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  const base = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`
  t.equal((await fetch(`${base}/health/ready`)).status, 200, 'ready before')
  t.equal(app.draining, false)
  const held = fetch(`${base}/test-hold`)
  await holding
  const closed = app.close()
  await waitFor(async () => await Promise.resolve(app.draining), 2000, 5)
  t.ok(app.draining, 'draining from the first moment of close')
  release()
  const answer = await held
  t.equal(answer.status, 200, 'the request in flight finishes')
  t.equal(answer.headers.get('connection'), 'close', 'and is answered with Connection: close')
  t.match(await answer.json(), { draining: true }, 'the handler saw the instance draining')
  await closed
})
