import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { openDatabase } from '../../src/db/database.js'
import { KeyEncryption } from '../../src/security/key-encryption.js'
import { addSigningKey } from '../../src/security/keyring.js'
import { cliEnv } from '../helpers/cli.js'
import { createPostgresDatabase, postgresAdminUrl, POSTGRES_SKIP_REASON } from '../helpers/databases.js'
import { Instance } from '../helpers/instance.js'
import { NGINX_SKIP, startNginx } from '../helpers/nginx.js'
import { waitUntil } from '../helpers/processes.js'
import { freePort, REDIS_SKIP, redisPrefix, SHARED_REDIS_URL } from '../helpers/redis.js'
import { STRONG_PASSWORD, uniqueUsername, type Tokens } from '../helpers/users.js'

/**
 * The fleet, as an operator runs it (I4): nginx in front of three instances sharing one
 * PostgreSQL database and one Redis. Under GET and POST load, the instances are restarted one
 * by one (SIGTERM, wait for the exit, start again, wait until ready): no client sees an error.
 * The same fleet shows logout, login throttling and key rotation crossing instances.
 */
const INSTANCES = 3
const CLIENT_LOOPS = 3
/** Each client loop stops after this many requests even if the restarts are not done. */
const MAX_REQUESTS_PER_LOOP = 20_000
const SHUTDOWN_TIMEOUT_SECONDS = 10
const PROPAGATION_DEADLINE_MS = 5000

// Process starts dominate this file's time (three starts, three restarts); a loaded CI machine needs more than the default.
t.setTimeout(300_000)

const skip = NGINX_SKIP !== false ? NGINX_SKIP : postgresAdminUrl === undefined ? POSTGRES_SKIP_REASON : REDIS_SKIP

interface Http { status: number, body: unknown }

async function call (url: string, method: string, body?: unknown, token?: string): Promise<Http> {
  const response = await fetch(url, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(15_000)
  })
  const text = await response.text()
  return { status: response.status, body: text.length > 0 && /json/.test(response.headers.get('content-type') ?? '') ? JSON.parse(text) as unknown : text }
}

async function registerAndLogin (base: string): Promise<{ username: string, tokens: Tokens }> {
  const username = uniqueUsername('fleet')
  const registered = await call(`${base}/auth/register`, 'POST', { username, password: STRONG_PASSWORD })
  if (registered.status !== 201) throw new Error(`register: ${registered.status}`)
  const logged = await call(`${base}/auth/login`, 'POST', { username, password: STRONG_PASSWORD })
  if (logged.status !== 200) throw new Error(`login: ${logged.status}`)
  return { username, tokens: logged.body as Tokens }
}

function kidOf (token: string): string {
  return String((JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as { kid?: unknown }).kid)
}

async function jwksKids (base: string): Promise<string[]> {
  const response = await call(`${base}/.well-known/jwks.json`, 'GET')
  return (response.body as { keys: Array<{ kid: string }> }).keys.map((key) => key.kid)
}

interface LoadStats { ok: number, errors: string[] }

/** One client: alternately lists and creates notes through nginx until told to stop (bounded). */
async function clientLoop (base: string, token: string, stop: { now: boolean }, stats: LoadStats): Promise<void> {
  for (let i = 0; i < MAX_REQUESTS_PER_LOOP && !stop.now; i++) {
    const post = i % 2 === 1
    try {
      const response = post
        ? await call(`${base}/notes`, 'POST', { title: `load ${i}`, body: 'written during a rolling restart' }, token)
        : await call(`${base}/notes`, 'GET', undefined, token)
      if (response.status === (post ? 201 : 200)) stats.ok++
      else stats.errors.push(`${post ? 'POST' : 'GET'} ${response.status}`)
    } catch (error) {
      stats.errors.push(`${post ? 'POST' : 'GET'} ${error instanceof Error ? error.message : 'failed'}`)
    }
  }
}

t.test('a fleet of three behind nginx: rolling restarts lose nothing; logout, throttling and keys cross instances', { skip, timeout: 290_000 }, async (t) => {
  const databaseUrl = await createPostgresDatabase(t)
  const secret = randomBytes(32).toString('base64url')
  const env = cliEnv(t, {
    DATABASE_URL: databaseUrl,
    REDIS_URL: SHARED_REDIS_URL,
    REDIS_KEY_PREFIX: redisPrefix(t),
    KEY_ENCRYPTION_SECRET: secret,
    KEY_REFRESH_INTERVAL: '1',
    LOG_LEVEL: 'warn',
    NOTES_PER_USER_MAX: '1000000',
    SHUTDOWN_TIMEOUT: String(SHUTDOWN_TIMEOUT_SECONDS)
  })
  const ports = await Promise.all(Array.from({ length: INSTANCES }, async () => await freePort()))
  const instances = ports.map((port) => new Instance(t, port, env.process))
  // Together: Kysely's migration lock on PostgreSQL lets one apply the migrations, the others wait.
  const startTimes = await Promise.all(instances.map(async (instance) => await instance.start()))
  t.comment(`instances ready in ${startTimes.join(', ')} ms`)
  const [a, b, c] = instances as [Instance, Instance, Instance]
  const nginx = await startNginx(t, ports)

  t.test('logout on one instance: the token fails on the others', async (t) => {
    const user = await registerAndLogin(a.url)
    for (const instance of [b, c]) t.equal((await call(`${instance.url}/protected`, 'GET', undefined, user.tokens.access_token)).status, 200)
    t.equal((await call(`${a.url}/auth/logout`, 'POST', undefined, user.tokens.access_token)).status, 204)
    const started = Date.now()
    for (const instance of [b, c]) {
      await waitUntil(async () => (await call(`${instance.url}/protected`, 'GET', undefined, user.tokens.access_token)).status === 401, PROPAGATION_DEADLINE_MS, `logout to reach ${instance.port}`, 5)
    }
    t.comment(`logout reached both other instances in ${Date.now() - started} ms`)
  })

  t.test('login throttling is counted once for the fleet', async (t) => {
    const user = await registerAndLogin(a.url)
    // Five free failures, spread over the three instances; each instance alone has seen at most two.
    for (const [index, instance] of [a, b, c, a, b].entries()) {
      const attempt = await call(`${instance.url}/auth/login`, 'POST', { username: user.username, password: `wrong-password-${index}-xxxxx` })
      t.equal(attempt.status, 401, `failure ${index + 1} on ${instance.port}`)
    }
    const sixth = await call(`${c.url}/auth/login`, 'POST', { username: user.username, password: 'wrong-password-6-xxxxxx' })
    t.equal(sixth.status, 429, 'the sixth attempt, on the instance that saw only one, is throttled')
  })

  t.test('a key rotation reaches every instance without a restart', async (t) => {
    const before = await jwksKids(a.url)
    // What `npm run keys:rotate` does (src/cli/keys-rotate.ts), without paying for one more process start.
    const database = openDatabase(databaseUrl)
    let added: string
    try {
      added = await addSigningKey(database.db, 'EdDSA', new KeyEncryption(secret), 0)
    } finally {
      await database.close()
    }
    const started = Date.now()
    let newKid = ''
    for (const instance of instances) {
      await waitUntil(async () => {
        const fresh = (await jwksKids(instance.url)).filter((kid) => !before.includes(kid))
        newKid = fresh[0] ?? ''
        return fresh.length === 1
      }, PROPAGATION_DEADLINE_MS, `the new key on ${instance.port}`, 50)
    }
    t.comment(`the new key reached all ${INSTANCES} JWKS in ${Date.now() - started} ms`)
    t.equal(newKid, added, 'the key published is the one added')
    const user = await registerAndLogin(nginx.url)
    t.equal(kidOf(user.tokens.access_token), newKid, 'new tokens are signed with the new key')
    for (const instance of instances) t.equal((await call(`${instance.url}/protected`, 'GET', undefined, user.tokens.access_token)).status, 200, `verified by ${instance.port}`)
  })

  t.test('rolling restart under GET and POST load through nginx: zero client-visible errors', async (t) => {
    const clients = await Promise.all(Array.from({ length: CLIENT_LOOPS }, async () => await registerAndLogin(nginx.url)))
    const stop = { now: false }
    const stats: LoadStats = { ok: 0, errors: [] }
    const loops = clients.map(async (client) => { await clientLoop(nginx.url, client.tokens.access_token, stop, stats) })
    const drains: number[] = []
    const restarts: number[] = []
    try {
      await sleep(500)
      for (const instance of instances) {
        const { drainMs, code } = await instance.terminate((SHUTDOWN_TIMEOUT_SECONDS + 5) * 1000)
        t.equal(code, 0, `instance ${instance.port} drained and exited cleanly`)
        drains.push(drainMs)
        restarts.push(await instance.start())
        await sleep(300)
      }
      await sleep(300)
    } finally {
      stop.now = true
      await Promise.all(loops)
    }
    const resets = readFileSync(nginx.errorLog, 'utf8').split('\n').filter((line) => /reset|prematurely|refused/.test(line)).length
    t.comment(`rolling restart: ${stats.ok} requests answered, ${stats.errors.length} client-visible errors; drain (SIGTERM to exit) ${drains.join(', ')} ms; restart to ready ${restarts.join(', ')} ms; ${resets} upstream errors nginx retried elsewhere`)
    t.ok(stats.ok > 100, `the load ran throughout (${stats.ok} requests)`)
    t.same(stats.errors, [], '0 client-visible errors')
    for (const drain of drains) t.ok(drain < SHUTDOWN_TIMEOUT_SECONDS * 1000, `drain ${drain} ms within SHUTDOWN_TIMEOUT`)
  })
})
