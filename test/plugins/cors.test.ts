import t from 'tap'
import { buildTestApp } from '../helpers/app.js'

const ALLOWED = 'https://app.example'
const EVIL = 'https://evil.example'

function corsHeaders (headers: Record<string, unknown>): string[] {
  return Object.keys(headers).filter((name) => name.startsWith('access-control-'))
}

t.test('G3: without CORS_ORIGINS no response carries a CORS header, preflight included', async (t) => {
  const { app } = await buildTestApp(t)
  const simple = await app.inject({ method: 'GET', url: '/health', headers: { origin: ALLOWED } })
  t.equal(simple.statusCode, 200)
  t.same(corsHeaders(simple.headers), [])
  const preflight = await app.inject({
    method: 'OPTIONS',
    url: '/auth/login',
    headers: { origin: ALLOWED, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' }
  })
  t.same(corsHeaders(preflight.headers), [], 'no preflight approval')
  t.equal(preflight.statusCode, 404, 'OPTIONS is an unknown method here: a 404 problem')
  t.match(preflight.headers['content-type'], /application\/problem\+json/)
})

t.test('G3: with CORS_ORIGINS only the listed origin is allowed, never reflected or wildcarded', async (t) => {
  const { app } = await buildTestApp(t, { CORS_ORIGINS: ALLOWED })
  const allowed = await app.inject({ method: 'GET', url: '/health', headers: { origin: ALLOWED } })
  t.equal(allowed.headers['access-control-allow-origin'], ALLOWED)
  t.match(allowed.headers.vary, /origin/i, 'caches keep answers per origin')
  t.notOk('access-control-allow-credentials' in allowed.headers, 'bearer tokens, not cookies: no credentials mode')
  t.match(allowed.headers['access-control-expose-headers'], /x-request-id/i)

  const evil = await app.inject({ method: 'GET', url: '/health', headers: { origin: EVIL } })
  t.equal(evil.statusCode, 200)
  t.notOk('access-control-allow-origin' in evil.headers, 'another origin is not reflected')
  const lookalike = await app.inject({ method: 'GET', url: '/health', headers: { origin: `${ALLOWED}.evil.example` } })
  t.notOk('access-control-allow-origin' in lookalike.headers, 'a prefix match is not a match')
  const nullOrigin = await app.inject({ method: 'GET', url: '/health', headers: { origin: 'null' } })
  t.notOk('access-control-allow-origin' in nullOrigin.headers, 'the null origin is not allowed')

  for (const response of [allowed, evil, lookalike, nullOrigin]) {
    t.not(response.headers['access-control-allow-origin'], '*', 'never a wildcard')
  }
})

t.test('G3: preflight from the listed origin is approved with the methods and headers the API uses', async (t) => {
  const { app } = await buildTestApp(t, { CORS_ORIGINS: `${ALLOWED}, http://localhost:5173` })
  const preflight = await app.inject({
    method: 'OPTIONS',
    url: '/auth/login',
    headers: { origin: ALLOWED, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' }
  })
  t.equal(preflight.statusCode, 204)
  t.equal(preflight.headers['access-control-allow-origin'], ALLOWED)
  t.match(preflight.headers['access-control-allow-methods'], /POST/)
  t.match(preflight.headers['access-control-allow-headers'], /Authorization/i)
  t.match(preflight.headers['access-control-allow-headers'], /Content-Type/i)
  t.ok(Number(preflight.headers['access-control-max-age']) > 0)

  const second = await app.inject({ method: 'GET', url: '/health', headers: { origin: 'http://localhost:5173' } })
  t.equal(second.headers['access-control-allow-origin'], 'http://localhost:5173', 'each listed origin is allowed')

  const evilPreflight = await app.inject({
    method: 'OPTIONS',
    url: '/auth/login',
    headers: { origin: EVIL, 'access-control-request-method': 'POST' }
  })
  t.notOk('access-control-allow-origin' in evilPreflight.headers, 'an unlisted origin gets no approval')
})
