import t from 'tap'
import { buildTestApp, json } from '../helpers/app.js'

t.test('F1: GET /rate-limited allows 5 a minute per client, then a 429 problem with Retry-After and RateLimit-*', async (t) => {
  const { app } = await buildTestApp(t)
  for (let i = 1; i <= 5; i++) {
    const response = await app.inject({ method: 'GET', url: '/rate-limited' })
    t.equal(response.statusCode, 200, `request ${i}`)
    t.same(json(response), { message: 'This route is rate limited!' })
    t.equal(response.headers['ratelimit-limit'], '5')
    t.equal(response.headers['ratelimit-remaining'], String(5 - i))
  }
  const limited = await app.inject({ method: 'GET', url: '/rate-limited' })
  t.equal(limited.statusCode, 429)
  t.match(limited.headers['content-type'], /application\/problem\+json/)
  const retryAfter = Number(limited.headers['retry-after'])
  t.ok(retryAfter > 0 && retryAfter <= 60, `Retry-After ${retryAfter}`)
  t.equal(limited.headers['ratelimit-limit'], '5')
  t.equal(limited.headers['ratelimit-remaining'], '0')
  t.ok(Number(limited.headers['ratelimit-reset']) > 0)
  t.match(json(limited), { status: 429, title: 'Too Many Requests', request_id: limited.headers['x-request-id'] })

  const otherClient = await app.inject({ method: 'GET', url: '/rate-limited', remoteAddress: '192.0.2.10' })
  t.equal(otherClient.statusCode, 200, 'another client has its own budget')
  const spoofed = await app.inject({ method: 'GET', url: '/rate-limited', headers: { 'x-forwarded-for': '198.51.100.7' } })
  t.equal(spoofed.statusCode, 429, 'D7: X-Forwarded-For from an untrusted client does not reset the limit')
  t.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200, 'other routes are unaffected')
})
