import type { LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { buildTestApp, json } from '../helpers/app.js'

function assertTooMany (t: Test, response: LightMyRequestResponse, limit: number): void {
  t.equal(response.statusCode, 429)
  t.match(response.headers['content-type'], /^application\/problem\+json/, 'F1: problem+json')
  const retryAfter = Number(response.headers['retry-after'])
  t.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After in seconds (${String(response.headers['retry-after'])})`)
  t.equal(response.headers['ratelimit-limit'], String(limit), 'RateLimit-Limit')
  t.equal(response.headers['ratelimit-remaining'], '0', 'RateLimit-Remaining')
  t.equal(response.headers['ratelimit-reset'], String(retryAfter), 'RateLimit-Reset')
  const body = json(response)
  t.match(body, { type: 'urn:secure-api:problem:rate-limited', title: 'Too Many Requests', status: 429, detail: String, instance: String, request_id: String })
  t.notMatch(response.body, /Rate limit exceeded|fastify/i, 'no library text')
}

t.test('F1: /rate-limited allows 5 a minute per client; the 6th gets a 429 problem with Retry-After and RateLimit-*', async (t) => {
  const { app } = await buildTestApp(t)
  const remaining: string[] = []
  for (let i = 0; i < 5; i++) {
    const response = await app.inject({ method: 'GET', url: '/rate-limited' })
    t.equal(response.statusCode, 200)
    t.same(json(response), { message: 'This route is rate limited!' })
    remaining.push(String(response.headers['ratelimit-remaining']))
  }
  t.same(remaining, ['4', '3', '2', '1', '0'], 'RateLimit-Remaining counts down on every answer')
  assertTooMany(t, await app.inject({ method: 'GET', url: '/rate-limited' }), 5)
  t.equal((await app.inject({ method: 'GET', url: '/rate-limited', remoteAddress: '192.0.2.10' })).statusCode, 200, 'per client')
})

t.test('F1: /auth/* is limited more strictly than the global limit', async (t) => {
  const { app } = await buildTestApp(t, { RATE_LIMIT_MAX: '12', AUTH_RATE_LIMIT_MAX: '3' })
  const login = async (): Promise<LightMyRequestResponse> => await app.inject({ method: 'POST', url: '/auth/login', payload: { username: 'x', password: 'y' } })
  for (let i = 0; i < 3; i++) t.equal((await login()).statusCode, 400, 'invalid bodies are counted too (the limit runs first)')
  assertTooMany(t, await login(), 3)
  for (let i = 0; i < 11; i++) t.equal((await app.inject({ method: 'GET', url: '/protected' })).statusCode, 401, 'other routes still answer')
  const global = await app.inject({ method: 'GET', url: '/protected' })
  t.equal(global.headers['ratelimit-limit'], '12')
  t.equal(global.headers['ratelimit-remaining'], '0', 'the 12th is the last one allowed')
  t.equal(global.statusCode, 401)
  assertTooMany(t, await app.inject({ method: 'GET', url: '/protected' }), 12)
})

t.test('F1: every /auth/* route carries the stricter limit, not only login', async (t) => {
  const { app } = await buildTestApp(t, { RATE_LIMIT_MAX: '50', AUTH_RATE_LIMIT_MAX: '7' })
  const routes: Array<['GET' | 'POST' | 'DELETE', string]> = [
    ['POST', '/auth/login'], ['POST', '/auth/refresh'], ['POST', '/auth/logout'], ['POST', '/auth/password'],
    ['GET', '/auth/me'], ['GET', '/auth/sessions'], ['DELETE', '/auth/sessions/00000000-0000-4000-8000-000000000000']
  ]
  for (const [method, url] of routes) {
    const response = await app.inject({ method, url })
    t.equal(response.headers['ratelimit-limit'], '7', `${method} ${url}`)
  }
})

t.test('F3: unknown routes and methods answer 404 problems and are rate limited themselves', async (t) => {
  const { app } = await buildTestApp(t, { RATE_LIMIT_MAX: '3' })
  const first = await app.inject({ method: 'GET', url: '/no/such/route' })
  t.equal(first.statusCode, 404)
  t.match(first.headers['content-type'], /^application\/problem\+json/)
  t.equal(first.headers['ratelimit-remaining'], '2')
  t.equal((await app.inject({ method: 'DELETE', url: '/protected' })).statusCode, 404, 'unknown method')
  t.equal((await app.inject({ method: 'GET', url: `/${'x'.repeat(50)}` })).statusCode, 404)
  assertTooMany(t, await app.inject({ method: 'GET', url: '/yet/another' }), 3)
  t.equal((await app.inject({ method: 'GET', url: '/no/such/route', remoteAddress: '192.0.2.11' })).statusCode, 404, 'per client')
})

t.test('F1: IPv6 clients share the limit of their /64', async (t) => {
  const { app } = await buildTestApp(t)
  for (let i = 1; i <= 5; i++) {
    t.equal((await app.inject({ method: 'GET', url: '/rate-limited', remoteAddress: `2001:db8:aa:bb::${i}` })).statusCode, 200)
  }
  t.equal((await app.inject({ method: 'GET', url: '/rate-limited', remoteAddress: '2001:db8:aa:bb:1:2:3:4' })).statusCode, 429, 'a new address in the same /64 is no way around the limit')
  t.equal((await app.inject({ method: 'GET', url: '/rate-limited', remoteAddress: '2001:db8:aa:bc::1' })).statusCode, 200)
})
