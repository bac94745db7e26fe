import type { FastifyInstance, InjectOptions } from 'fastify'
import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { loadConfig } from '../../src/config.js'
import { buildTestAppFromConfig, testEnv } from '../helpers/app.js'
import { REDIS_SERVER_SKIP, redisPrefix, redisReady, ThrowawayRedis } from '../helpers/redis.js'
import { bearer, login, registerUser, STRONG_PASSWORD, uniqueUsername } from '../helpers/users.js'

const WRONG = 'definitely-not-the-right-password'
/** The most any request may take while Redis is away. */
const BOUND_MS = 1500

interface Deployment { server: ThrowawayRedis, a: FastifyInstance, b: FastifyInstance, token: string, username: string }

/** Two instances on a Redis of our own (the shared one is never stopped). */
async function deployment (t: Test): Promise<Deployment> {
  const server = await ThrowawayRedis.start(t)
  const config = loadConfig(testEnv(t, { REDIS_URL: server.url, REDIS_KEY_PREFIX: redisPrefix(t, server.url) }))
  const { app: a } = await buildTestAppFromConfig(t, config)
  const { app: b } = await buildTestAppFromConfig(t, config)
  await redisReady(a.redis)
  await redisReady(b.redis)
  const user = await registerUser(a)
  const tokens = await login(a, user.username)
  return { server, a, b, token: tokens.access_token, username: user.username }
}

/** Proves the instances really share counters right now: 5 /rate-limited between them, then 429. */
async function assertShared (t: Test, { a, b }: Deployment, remoteAddress: string): Promise<void> {
  const statuses: number[] = []
  for (const app of [a, b, a, b, a, b]) statuses.push((await app.inject({ method: 'GET', url: '/rate-limited', remoteAddress })).statusCode)
  t.same(statuses, [200, 200, 200, 200, 200, 429], 'limits shared through Redis')
}

/** Every request of a typical mix answers within the bound and never with a 5xx. */
async function assertResponsive (t: Test, d: Deployment, label: string): Promise<void> {
  const requests: InjectOptions[] = [
    { method: 'GET', url: '/rate-limited', remoteAddress: '192.0.2.150' },
    { method: 'GET', url: '/protected', headers: bearer(d.token) },
    { method: 'GET', url: '/health' },
    { method: 'GET', url: '/nowhere' },
    { method: 'POST', url: '/auth/login', payload: { username: uniqueUsername('outage'), password: WRONG } },
    { method: 'POST', url: '/auth/login', payload: { username: d.username, password: STRONG_PASSWORD }, remoteAddress: '192.0.2.151' },
    { method: 'POST', url: '/auth/register', payload: { username: uniqueUsername('outage'), password: STRONG_PASSWORD } }
  ]
  let slowest = 0
  for (const request of requests) {
    const started = performance.now()
    const response = await d.a.inject(request)
    const elapsed = performance.now() - started
    slowest = Math.max(slowest, elapsed)
    t.ok(response.statusCode < 500, `${label}: ${request.method ?? 'GET'} ${request.url as string} answered ${response.statusCode}, no 5xx`)
    t.ok(elapsed < BOUND_MS, `${label}: ${request.method ?? 'GET'} ${request.url as string} in ${elapsed.toFixed(0)} ms`)
  }
  t.comment(`${label}: slowest request ${slowest.toFixed(0)} ms`)
}

t.test('Redis killed: requests stay fast and never 5xx; global limits fail open, the login throttle falls back to this instance; recovery on restart', { skip: REDIS_SERVER_SKIP }, async (t) => {
  const d = await deployment(t)
  await assertShared(t, d, '192.0.2.1')

  await d.server.stop()
  await assertResponsive(t, d, 'just after the kill')
  const open: number[] = []
  for (let i = 0; i < 8; i++) open.push((await d.a.inject({ method: 'GET', url: '/rate-limited', remoteAddress: '192.0.2.2' })).statusCode)
  t.same(open, Array(8).fill(200), 'global and per-route limits fail open (documented choice)')

  const victim = await registerUser(d.a)
  for (let i = 0; i < 5; i++) t.equal((await d.a.inject({ method: 'POST', url: '/auth/login', payload: { username: victim.username, password: WRONG } })).statusCode, 401)
  const local = await d.a.inject({ method: 'POST', url: '/auth/login', payload: { username: victim.username, password: WRONG } })
  t.equal(local.statusCode, 429, 'D6 still holds during the outage, per instance')
  t.equal(local.headers['retry-after'], '1')
  await assertResponsive(t, d, 'during the outage')

  await d.server.start()
  await redisReady(d.a.redis, 5000)
  await redisReady(d.b.redis, 5000)
  // The throttle skips Redis for a short cooldown after a failure; let it pass.
  await sleep(2100)
  await assertShared(t, d, '192.0.2.3')
  const name = uniqueUsername('after')
  for (let i = 0; i < 5; i++) await d.a.inject({ method: 'POST', url: '/auth/login', payload: { username: name, password: WRONG } })
  t.equal((await d.b.inject({ method: 'POST', url: '/auth/login', payload: { username: name, password: WRONG } })).statusCode, 429, 'the login throttle is shared again')
})

t.test('Redis hung (SIGSTOP): commands time out, no request waits past the bound', { skip: REDIS_SERVER_SKIP }, async (t) => {
  const d = await deployment(t)
  d.server.pause()
  await assertResponsive(t, d, 'hung Redis')
  await assertResponsive(t, d, 'still hung')
  d.server.resume()
  await sleep(2100)
  await assertShared(t, d, '192.0.2.4')
})

t.test('Redis down at start: the app starts and serves, limits fail open, logins stay throttled locally', { skip: REDIS_SERVER_SKIP }, async (t) => {
  const server = await ThrowawayRedis.start(t)
  await server.stop()
  const config = loadConfig(testEnv(t, { REDIS_URL: server.url }))
  const started = performance.now()
  const { app } = await buildTestAppFromConfig(t, config)
  t.ok(performance.now() - started < 10_000, 'start-up does not wait for Redis')
  const name = uniqueUsername('cold')
  const statuses: number[] = []
  for (let i = 0; i < 6; i++) statuses.push((await app.inject({ method: 'POST', url: '/auth/login', payload: { username: name, password: WRONG } })).statusCode)
  t.same(statuses, [401, 401, 401, 401, 401, 429])
})
