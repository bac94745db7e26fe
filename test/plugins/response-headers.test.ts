import type { LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { bearer, registerAndLogin } from '../helpers/users.js'

/**
 * Pins every response header of the hot paths, by exact name, and its value wherever the value
 * is static (issue 10): an optimisation of logging, helmet or rate limiting may change how a
 * header is made, never whether it is sent or what it says.
 */
const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': "default-src 'none';frame-ancestors 'none';base-uri 'none';form-action 'none'",
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'DENY',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0'
}

/** Sent on every answer, with values that change per request or per body. */
const DYNAMIC = {
  'x-request-id': /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
  'content-length': /^\d+$/,
  date: /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/
}

const RATE_LIMIT = {
  'ratelimit-limit': /^100000$/,
  'ratelimit-remaining': /^\d+$/,
  'ratelimit-reset': /^\d+$/
}

function assertHeaders (t: Test, response: LightMyRequestResponse, fixed: Record<string, string>, dynamic: Record<string, RegExp>): void {
  const expected = [...Object.keys(fixed), ...Object.keys(dynamic)].sort()
  t.same(Object.keys(response.headers).sort(), expected, 'exactly these header names, none more, none less')
  for (const [name, value] of Object.entries(fixed)) t.equal(response.headers[name], value, `${name}: ${value}`)
  for (const [name, pattern] of Object.entries(dynamic)) t.match(String(response.headers[name]), pattern, `${name} is well formed`)
}

t.test('GET /protected (200), GET /health and a 401 keep every header they send today', async (t) => {
  const { app } = await buildTestApp(t)
  const user = await registerAndLogin(app)

  const ok = await app.inject({ method: 'GET', url: '/protected', headers: bearer(user.tokens.access_token) })
  t.equal(ok.statusCode, 200)
  assertHeaders(t, ok, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8', connection: 'keep-alive' }, { ...DYNAMIC, ...RATE_LIMIT })

  const health = await app.inject({ method: 'GET', url: '/health' })
  t.equal(health.statusCode, 200)
  // /health is exempt from rate limiting, so it carries no RateLimit headers.
  assertHeaders(t, health, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8', connection: 'keep-alive' }, DYNAMIC)

  const missing = await app.inject({ method: 'GET', url: '/protected' })
  t.equal(missing.statusCode, 401)
  assertHeaders(t, missing, {
    ...SECURITY_HEADERS,
    'www-authenticate': 'Bearer realm="secure-api"',
    'content-type': 'application/problem+json; charset=utf-8',
    connection: 'keep-alive'
  }, { ...DYNAMIC, ...RATE_LIMIT })

  const invalid = await app.inject({ method: 'GET', url: '/protected', headers: bearer('garbage') })
  t.equal(invalid.statusCode, 401)
  assertHeaders(t, invalid, {
    ...SECURITY_HEADERS,
    'www-authenticate': 'Bearer realm="secure-api", error="invalid_token", error_description="The access token is invalid, expired or revoked"',
    'content-type': 'application/problem+json; charset=utf-8',
    connection: 'keep-alive'
  }, { ...DYNAMIC, ...RATE_LIMIT })
})

t.test('the caller\'s sane X-Request-Id is echoed unchanged', async (t) => {
  const { app } = await buildTestApp(t)
  const response = await app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'trace-42.abc' } })
  t.equal(response.headers['x-request-id'], 'trace-42.abc')
})
