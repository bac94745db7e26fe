import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { REDIS_SKIP, redisPrefix, SHARED_REDIS_URL } from '../helpers/redis.js'
import { registerUser, STRONG_PASSWORD } from '../helpers/users.js'

const WRONG = 'definitely-not-the-right-password'

async function attempt (app: FastifyInstance, username: string, password: string): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'POST', url: '/auth/login', payload: { username, password } })
}

/** The login throttle with its store in this process, and shared through Redis. */
function onEachStore (name: string, fn: (t: Test, env: Record<string, string>) => Promise<void>): void {
  void t.test(`${name} [memory]`, async (t) => { await fn(t, {}) })
  void t.test(`${name} [redis]`, { skip: REDIS_SKIP }, async (t) => { await fn(t, { REDIS_URL: SHARED_REDIS_URL, REDIS_KEY_PREFIX: redisPrefix(t) }) })
}

onEachStore('I6: 20 simultaneous right-password logins within the free budget are never refused', async (t, env) => {
  const { app } = await buildTestApp(t, { ...env, ARGON2_MAX_QUEUE: '100' })
  const user = await registerUser(app)
  // Four failures of the five free ones are already used: the budget is nearly spent, not spent.
  for (let i = 0; i < 4; i++) t.equal((await attempt(app, user.username, WRONG)).statusCode, 401)
  let refused = 0
  for (let round = 0; round < 3; round++) {
    const answers = await Promise.all(Array.from({ length: 20 }, async () => await attempt(app, user.username, STRONG_PASSWORD)))
    refused += answers.filter((answer) => answer.statusCode !== 200).length
  }
  t.equal(refused, 0, '0 of 60 right-password logins refused (3 rounds of 20 at once)')
  t.comment(`right-password logins refused: ${refused} of 60`)
})

onEachStore('I6: only a password argon2 verified as wrong counts; a 503 (argon2 queue full) does not', async (t, env) => {
  const { app } = await buildTestApp(t, { ...env, ARGON2_MAX_CONCURRENCY: '1', ARGON2_MAX_QUEUE: '0', LOGIN_FREE_FAILURES: '3' })
  const user = await registerUser(app)
  const burst = await Promise.all(Array.from({ length: 12 }, async () => await attempt(app, user.username, WRONG)))
  const verified = burst.filter((answer) => answer.statusCode === 401).length
  const overloaded = burst.filter((answer) => answer.statusCode === 503).length
  t.ok(overloaded > 0, `the burst overflowed the argon2 queue (${overloaded} × 503, ${verified} × 401)`)
  t.equal(verified + overloaded, 12, 'nothing else')
  t.ok(verified < 3, 'fewer verified failures than the free budget')
  // The account has exactly `verified` failures: the next (3 - verified) wrong ones are still free.
  for (let i = verified; i < 3; i++) t.equal((await attempt(app, user.username, WRONG)).statusCode, 401, `free failure ${i + 1}`)
  t.equal((await attempt(app, user.username, STRONG_PASSWORD)).statusCode, 429, 'then the back-off runs')
})

onEachStore('I6: a throttled attempt is not counted as a failure', async (t, env) => {
  const { app } = await buildTestApp(t, { ...env, LOGIN_FREE_FAILURES: '2' })
  const user = await registerUser(app)
  for (let i = 0; i < 2; i++) t.equal((await attempt(app, user.username, WRONG)).statusCode, 401)
  // A flood of attempts while the 1 s delay runs: all refused, none counted.
  for (let i = 0; i < 10; i++) t.equal((await attempt(app, user.username, WRONG)).statusCode, 429)
  await new Promise((resolve) => setTimeout(resolve, 1100))
  t.equal((await attempt(app, user.username, STRONG_PASSWORD)).statusCode, 200, 'the delay after 2 failures is still 1 s, not 2^10 s')
})
