import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { buildTestApp } from '../helpers/app.js'

/** The headers G1 asks for on every API response, errors included. */
function assertApiHeaders (t: Test, response: LightMyRequestResponse, label: string): void {
  t.equal(response.headers['x-content-type-options'], 'nosniff', `${label}: nosniff`)
  const csp = String(response.headers['content-security-policy'] ?? '')
  t.match(csp, /frame-ancestors 'none'/, `${label}: CSP forbids framing`)
  t.match(csp, /default-src 'none'/, `${label}: CSP allows nothing by default`)
  t.equal(response.headers['referrer-policy'], 'no-referrer', `${label}: no referrer`)
  t.notOk('x-powered-by' in response.headers, `${label}: no X-Powered-By`)
  t.notOk('server' in response.headers, `${label}: no Server banner`)
}

t.test('G1: helmet headers on a 200, 400, 401, 404, 413 and 415', async (t) => {
  const { app } = await buildTestApp(t, { BODY_LIMIT: '1024' })
  const cases: Array<[number, InjectOptions & { url: string }]> = [
    [200, { method: 'GET', url: '/health' }],
    [400, { method: 'POST', url: '/auth/register', headers: { 'content-type': 'application/json' }, payload: '{"username":' }],
    [401, { method: 'GET', url: '/protected' }],
    [404, { method: 'GET', url: '/no/such/route' }],
    [413, { method: 'POST', url: '/auth/login', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ username: 'a'.repeat(2000) }) }],
    [415, { method: 'POST', url: '/auth/login', headers: { 'content-type': 'text/plain' }, payload: 'hello' }]
  ]
  for (const [status, request] of cases) {
    const response = await app.inject(request)
    t.equal(response.statusCode, status, `${request.url} answers ${status}`)
    assertApiHeaders(t, response, String(status))
  }
})

t.test('G1: Swagger UI gets its own CSP that lets its scripts and styles load, still without X-Powered-By', async (t) => {
  const { app } = await buildTestApp(t)
  const page = await app.inject({ method: 'GET', url: '/docs' })
  const target = page.statusCode === 302 ? await app.inject({ method: 'GET', url: String(page.headers.location) }) : page
  t.equal(target.statusCode, 200)
  t.match(target.headers['content-type'], /text\/html/)
  const csp = String(target.headers['content-security-policy'] ?? '')
  t.match(csp, /script-src 'self'/, 'Swagger UI scripts are served from this origin')
  t.match(csp, /style-src 'self'/, 'Swagger UI styles are served from this origin')
  t.notMatch(csp, /'unsafe-eval'/, 'no eval')
  t.notMatch(csp, /script-src[^;]*'unsafe-inline'/, 'no inline scripts')
  t.notMatch(csp, /frame-ancestors \*/, 'never framable by anyone')
  t.equal(target.headers['x-content-type-options'], 'nosniff')
  t.equal(target.headers['referrer-policy'], 'no-referrer')
  t.notOk('x-powered-by' in target.headers)
  // Every script the page names is one the CSP lets in: same-origin, no inline code.
  const scripts = [...target.body.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)]
  t.ok(scripts.length > 0, 'the page loads scripts')
  for (const [, attributes = '', inline = ''] of scripts) {
    t.equal(inline.trim(), '', 'no inline script body')
    t.match(attributes, /src="\.?\/?(static\/|docs\/)?[^":]+"/, 'script from this origin')
  }
  const asset = await app.inject({ method: 'GET', url: '/docs/static/swagger-ui-bundle.js' })
  t.equal(asset.statusCode, 200, 'the bundle it loads is served')
})

t.test('G2: HSTS is sent when a trusted proxy says the request came over HTTPS, never otherwise', async (t) => {
  const plain = await buildTestApp(t)
  const spoofed = await plain.app.inject({ method: 'GET', url: '/health', headers: { 'x-forwarded-proto': 'https' } })
  t.notOk('strict-transport-security' in spoofed.headers, 'an untrusted client cannot claim HTTPS')
  const direct = await plain.app.inject({ method: 'GET', url: '/health' })
  t.notOk('strict-transport-security' in direct.headers, 'no HSTS over plain HTTP')

  // inject() connects from 127.0.0.1, so listing it makes the test client a trusted proxy.
  const proxied = await buildTestApp(t, { TRUST_PROXY: '127.0.0.1' })
  const viaHttps = await proxied.app.inject({ method: 'GET', url: '/health', headers: { 'x-forwarded-proto': 'https' } })
  const hsts = String(viaHttps.headers['strict-transport-security'] ?? '')
  const maxAge = Number(/max-age=(\d+)/.exec(hsts)?.[1] ?? 0)
  t.ok(maxAge >= 31536000, `HSTS max-age at least a year (got "${hsts}")`)
  const notFound = await proxied.app.inject({ method: 'GET', url: '/nope', headers: { 'x-forwarded-proto': 'https' } })
  t.match(notFound.headers['strict-transport-security'], /max-age=/, 'errors carry HSTS too')
  const viaHttp = await proxied.app.inject({ method: 'GET', url: '/health', headers: { 'x-forwarded-proto': 'http' } })
  t.notOk('strict-transport-security' in viaHttp.headers, 'the proxy spoke HTTP: no HSTS')

  const otherProxy = await buildTestApp(t, { TRUST_PROXY: '10.0.0.1' })
  const untrusted = await otherProxy.app.inject({ method: 'GET', url: '/health', headers: { 'x-forwarded-proto': 'https' } })
  t.notOk('strict-transport-security' in untrusted.headers, 'D7: only listed proxies are believed')
})
