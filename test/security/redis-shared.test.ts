import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { Redis } from 'ioredis'
import t, { type Test } from 'tap'
import { loadConfig } from '../../src/config.js'
import { buildTestAppFromConfig, testEnv } from '../helpers/app.js'
import { REDIS_SKIP, redisPrefix, redisReady, SHARED_REDIS_URL } from '../helpers/redis.js'
import { registerUser, STRONG_PASSWORD, uniqueUsername } from '../helpers/users.js'

const WRONG = 'definitely-not-the-right-password'

/** Two instances of one deployment: one database, one Redis, one key prefix. */
async function twoInstances (t: Test, overrides: Record<string, string> = {}): Promise<{ a: FastifyInstance, b: FastifyInstance, prefix: string }> {
  const prefix = redisPrefix(t)
  const config = loadConfig(testEnv(t, { REDIS_URL: SHARED_REDIS_URL, REDIS_KEY_PREFIX: prefix, ...overrides }))
  const { app: a } = await buildTestAppFromConfig(t, config)
  const { app: b } = await buildTestAppFromConfig(t, config)
  await redisReady(a.redis)
  await redisReady(b.redis)
  return { a, b, prefix }
}

async function login (app: FastifyInstance, username: string, password: string, remoteAddress = '127.0.0.1'): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'POST', url: '/auth/login', payload: { username, password }, remoteAddress })
}

t.test('F1: two instances share the per-route and the global limits through Redis', { skip: REDIS_SKIP }, async (t) => {
  const { a, b } = await twoInstances(t, { RATE_LIMIT_MAX: '4' })
  const statuses: number[] = []
  for (const app of [a, b, a, b, a, b]) statuses.push((await app.inject({ method: 'GET', url: '/rate-limited' })).statusCode)
  t.same(statuses, [200, 200, 200, 200, 200, 429], '5 a minute per client across both instances')
  const notFound: number[] = []
  for (const app of [a, b, b, a, b]) notFound.push((await app.inject({ method: 'GET', url: '/nowhere' })).statusCode)
  t.same(notFound, [404, 404, 404, 404, 429], 'the global limit (and the 404 handler) is shared too')
})

t.test('D6: the account back-off and the address limit are shared by every instance', { skip: REDIS_SKIP }, async (t) => {
  const { a, b } = await twoInstances(t, { LOGIN_IP_MAX_FAILURES: '3' })
  const user = await registerUser(a)
  const statuses: number[] = []
  for (const [i, app] of [a, b, a, b, a].entries()) statuses.push((await login(app, user.username, WRONG, `198.51.100.${i + 1}`)).statusCode)
  t.same(statuses, [401, 401, 401, 401, 401])
  const throttled = await login(b, user.username, STRONG_PASSWORD, '198.51.100.99')
  t.equal(throttled.statusCode, 429, 'five failures spread over two instances and five addresses')
  t.equal(throttled.headers['retry-after'], '1')

  const spray: number[] = []
  for (const app of [a, b, a, b]) spray.push((await login(app, uniqueUsername('spray'), WRONG, '192.0.2.44')).statusCode)
  t.same(spray, [401, 401, 401, 429], 'per-address failures across usernames and instances')
})

t.test('D6: a success on one instance resets the account everywhere', { skip: REDIS_SKIP }, async (t) => {
  const { a, b } = await twoInstances(t)
  const user = await registerUser(a)
  for (let i = 0; i < 4; i++) t.equal((await login(a, user.username, WRONG)).statusCode, 401)
  t.equal((await login(b, user.username, STRONG_PASSWORD)).statusCode, 200)
  for (let i = 0; i < 5; i++) t.equal((await login(a, user.username, WRONG)).statusCode, 401, 'five free failures again')
  t.equal((await login(b, user.username, WRONG)).statusCode, 429)
})

t.test('every counter lives under REDIS_KEY_PREFIX', { skip: REDIS_SKIP }, async (t) => {
  const { a, b, prefix } = await twoInstances(t, { REGISTER_RATE_LIMIT_MAX: '2' })
  const register = async (app: FastifyInstance): Promise<number> =>
    (await app.inject({ method: 'POST', url: '/auth/register', payload: { username: uniqueUsername('reg'), password: STRONG_PASSWORD } })).statusCode
  t.same([await register(a), await register(b), await register(a)], [201, 201, 429], 'the registration limit is shared')
  await login(a, 'Some.Body', WRONG)
  await a.inject({ method: 'GET', url: '/rate-limited' })
  const redis = new Redis(SHARED_REDIS_URL)
  t.teardown(() => { redis.disconnect() })
  const keys = await redis.keys(`${prefix}*`)
  t.ok(keys.includes(`${prefix}login:acct:some.body`), 'account counter, keyed on the lower-cased name')
  t.ok(keys.includes(`${prefix}login:addr:127.0.0.1`), 'address counter')
  t.ok(keys.some((key) => key.startsWith(`${prefix}rl:`) && key.includes('/rate-limited')), 'per-route limit')
  t.ok(keys.some((key) => key.startsWith(`${prefix}rl:`) && key.includes('/auth/register')), 'registration limit')
  t.ok((await redis.pttl(`${prefix}login:acct:some.body`)) > 0, 'every key expires')
})
