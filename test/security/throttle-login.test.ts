import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { buildTestApp, json } from '../helpers/app.js'
import { registerUser, STRONG_PASSWORD, uniqueUsername } from '../helpers/users.js'

const WRONG = 'definitely-not-the-right-password'

async function attempt (app: FastifyInstance, username: string, password: string, remoteAddress = '127.0.0.1'): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'POST', url: '/auth/login', payload: { username, password }, remoteAddress })
}

function auditEvents (logs: Array<Record<string, unknown>>, event: string): Array<Record<string, unknown>> {
  return logs.map((line) => line.audit as Record<string, unknown> | undefined).filter((audit): audit is Record<string, unknown> => audit?.event === event)
}

t.test('D6: per-account back-off after 5 free failures, whatever the address, 429 with Retry-After and RateLimit-*', async (t) => {
  const testApp = await buildTestApp(t)
  const { app } = testApp
  const user = await registerUser(app)
  for (let i = 0; i < 5; i++) {
    const response = await attempt(app, user.username, WRONG, `198.51.100.${i + 1}`)
    t.equal(response.statusCode, 401, `free failure ${i + 1} from another address`)
  }
  const started = performance.now()
  const throttled = await attempt(app, user.username.toUpperCase(), STRONG_PASSWORD, '203.0.113.77')
  const elapsed = performance.now() - started
  t.equal(throttled.statusCode, 429, 'even the right password from a fresh address waits: the throttle runs before argon2')
  t.match(throttled.headers['content-type'], /^application\/problem\+json/)
  t.equal(throttled.headers['retry-after'], '1')
  t.equal(throttled.headers['ratelimit-remaining'], '0')
  t.equal(throttled.headers['ratelimit-reset'], '1')
  t.ok(throttled.headers['ratelimit-limit'] !== undefined)
  t.match(json(throttled), { status: 429, type: 'urn:secure-api:problem:rate-limited' })
  t.ok(elapsed < 50, `a throttled attempt does no argon2 work (${elapsed.toFixed(1)} ms)`)
  t.match(auditEvents(testApp.logs, 'login_throttled'), [{ outcome: 'denied', username: user.username.toUpperCase(), reason: 'account', ip: '203.0.113.77' }], 'H1: throttling is audited')

  await sleep(1050)
  t.equal((await attempt(app, user.username, STRONG_PASSWORD)).statusCode, 200, 'after Retry-After the right password works')
  for (let i = 0; i < 5; i++) t.equal((await attempt(app, user.username, WRONG)).statusCode, 401, 'a success resets the counter: 5 free failures again')
  t.equal((await attempt(app, user.username, WRONG)).statusCode, 429)
})

t.test('D6/D1: an unknown username is throttled exactly like an existing one', async (t) => {
  const { app } = await buildTestApp(t)
  const user = await registerUser(app)
  const ghost = uniqueUsername('ghost')
  const answers: Array<LightMyRequestResponse[]> = []
  for (const name of [user.username, ghost]) {
    const sequence: LightMyRequestResponse[] = []
    for (let i = 0; i < 7; i++) sequence.push(await attempt(app, name, WRONG))
    answers.push(sequence)
  }
  const [known = [], unknown = []] = answers
  t.same(known.map((r) => r.statusCode), [401, 401, 401, 401, 401, 429, 429])
  t.same(unknown.map((r) => r.statusCode), known.map((r) => r.statusCode), 'same sequence of statuses')
  const strip = (r: LightMyRequestResponse): Record<string, unknown> => ({ ...json(r), request_id: undefined })
  t.same(strip(unknown[6] as LightMyRequestResponse), strip(known[6] as LightMyRequestResponse), 'same 429 body')
  const headers = (r: LightMyRequestResponse): Record<string, unknown> => {
    const { date: _date, 'x-request-id': _id, ...rest } = r.headers
    return rest
  }
  t.same(headers(unknown[6] as LightMyRequestResponse), headers(known[6] as LightMyRequestResponse), 'same 429 headers, values included')
})

t.test('D6: hard stop at the threshold is temporary and audited as account_locked', async (t) => {
  const testApp = await buildTestApp(t, { LOGIN_FREE_FAILURES: '6', LOGIN_LOCK_THRESHOLD: '6', LOGIN_LOCK_SECONDS: '2' })
  const { app } = testApp
  const user = await registerUser(app)
  for (let i = 0; i < 6; i++) t.equal((await attempt(app, user.username, WRONG)).statusCode, 401)
  const locked = await attempt(app, user.username, STRONG_PASSWORD, '192.0.2.200')
  t.equal(locked.statusCode, 429, 'locked: the right password is refused too')
  t.equal(locked.headers['retry-after'], '2')
  t.equal(auditEvents(testApp.logs, 'account_locked').length, 1)
  t.match(auditEvents(testApp.logs, 'account_locked'), [{ outcome: 'detected', user_id: user.id, username: user.username, consecutive_failures: 6 }], 'H1: the lockout is logged once')
  t.match(auditEvents(testApp.logs, 'login_throttled'), [{ locked: true }])
  await sleep(2050)
  t.equal((await attempt(app, user.username, STRONG_PASSWORD)).statusCode, 200, 'the lock ends by itself')
})

t.test('D6: per-address limit across usernames; IPv6 clients are grouped by /64', async (t) => {
  const testApp = await buildTestApp(t, { LOGIN_IP_MAX_FAILURES: '3' })
  const { app } = testApp
  const user = await registerUser(app)
  for (const address of ['2001:db8:5:6::1', '2001:db8:5:6::2', '2001:db8:5:6:ffff::3']) {
    t.equal((await attempt(app, uniqueUsername('spray'), WRONG, address)).statusCode, 401)
  }
  const sprayed = await attempt(app, uniqueUsername('spray'), WRONG, '2001:db8:5:6::abcd')
  t.equal(sprayed.statusCode, 429, 'a 4th username from the same /64 is refused')
  t.ok(Number(sprayed.headers['retry-after']) > 0)
  t.equal(sprayed.headers['ratelimit-limit'], '3')
  t.equal((await attempt(app, user.username, STRONG_PASSWORD, '2001:db8:5:6::9')).statusCode, 429, 'even a right password from that /64 waits')
  t.equal((await attempt(app, user.username, STRONG_PASSWORD, '2001:db8:5:7::1')).statusCode, 200, 'the next /64 is unaffected')
  t.match(auditEvents(testApp.logs, 'login_throttled'), [{ reason: 'address' }, { reason: 'address' }])

  // Successes give back their slot: a user behind a shared address is not locked out by logging in.
  for (let i = 0; i < 5; i++) t.equal((await attempt(app, user.username, STRONG_PASSWORD, '192.0.2.9')).statusCode, 200)
})

t.test('D6: registration has its own, stricter limit per address', async (t) => {
  const { app } = await buildTestApp(t, { REGISTER_RATE_LIMIT_MAX: '2' })
  const register = async (remoteAddress: string): Promise<LightMyRequestResponse> =>
    await app.inject({ method: 'POST', url: '/auth/register', payload: { username: uniqueUsername('reg'), password: STRONG_PASSWORD }, remoteAddress })
  t.equal((await register('192.0.2.50')).statusCode, 201)
  t.equal((await register('192.0.2.50')).statusCode, 201)
  const refused = await register('192.0.2.50')
  t.equal(refused.statusCode, 429)
  t.ok(Number(refused.headers['retry-after']) > 60, 'the window is an hour, not a minute')
  t.equal(refused.headers['ratelimit-limit'], '2')
  t.equal((await register('192.0.2.51')).statusCode, 201, 'per address')
  t.equal((await attempt(app, uniqueUsername(), WRONG, '192.0.2.50')).statusCode, 401, 'login has its own limit')
})
