import { randomUUID } from 'node:crypto'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import t from 'tap'
import type { Test } from 'tap'
import { REALM } from '../../src/lib/problems.js'
import { buildTestApp, json } from '../helpers/app.js'
import { bearer, registerAndLogin } from '../helpers/users.js'
import { LIBRARY_TEXT } from './tokens/harness.js'

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
interface Operation { method: Method, path: string, url: string, bearer: boolean, admin: boolean }

interface OpenApiDocument {
  paths: Record<string, Record<string, { security?: Array<Record<string, string[]>>, responses?: Record<string, unknown> }>>
}

/** Every operation of the generated document, with its path template filled with a random UUID. */
function operations (app: FastifyInstance): Operation[] {
  const document = app.swagger() as unknown as OpenApiDocument
  return Object.entries(document.paths).flatMap(([path, item]) => Object.entries(item).map(([method, operation]) => ({
    method: method.toUpperCase() as Method,
    path,
    url: path.replace(/\{[^}]+\}/g, () => randomUUID()),
    bearer: (operation.security ?? []).some((requirement) => 'bearerAuth' in requirement),
    admin: operation.responses?.['403'] !== undefined && (operation.security ?? []).length > 0 && path.startsWith('/admin')
  })))
}

/** B4: an RFC 9457 document whose status is the HTTP status, with no library or code text. */
function assertProblem (t: Test, response: LightMyRequestResponse, label: string): void {
  t.match(String(response.headers['content-type']), /^application\/problem\+json/, `${label}: problem+json`)
  t.notMatch(response.body, LIBRARY_TEXT, `${label}: names no library or code path`)
  if (!/^application\/problem\+json/.test(String(response.headers['content-type']))) return
  const body = json(response)
  t.equal(body.status, response.statusCode, `${label}: body status equals the HTTP status`)
  for (const member of ['type', 'title', 'detail', 'instance', 'request_id']) t.type(body[member], 'string', `${label}: has ${member}`)
}

function assertNoCredentials (t: Test, response: LightMyRequestResponse, label: string): void {
  t.equal(response.statusCode, 401, `${label}: 401`)
  t.equal(response.headers['www-authenticate'], `Bearer realm="${REALM}"`, `${label}: a Bearer challenge with a realm and no error (B1)`)
  assertProblem(t, response, label)
}

t.test('B1/B3/B2 bearer transport on every operation of the document', async (t) => {
  const { app } = await buildTestApp(t)
  await app.ready()
  const user = await registerAndLogin(app, 'transport')
  const token = user.tokens.access_token
  const ops = operations(app)
  const protectedOps = ops.filter((op) => op.bearer)
  t.ok(protectedOps.length >= 3, `${protectedOps.length} bearer operations in the document`)

  for (const op of protectedOps) {
    const label = `${op.method} ${op.path}`
    const send = async (options: Partial<InjectOptions>): Promise<LightMyRequestResponse> => await app.inject({ method: op.method, url: op.url, ...options })
    assertNoCredentials(t, await send({}), `B1 ${label} without credentials`)
    // Fastify adds a HEAD route for every GET: it must carry the same guard.
    if (op.method === 'GET') t.equal((await app.inject({ method: 'HEAD', url: op.url })).statusCode, 401, `B1 HEAD ${op.path} without credentials: 401`)
    assertNoCredentials(t, await send({ headers: { authorization: '' } }), `B1 ${label} with an empty Authorization header`)
    assertNoCredentials(t, await send({ headers: { authorization: 'Basic dXNlcjpvcmJpdC1sYW50ZXJu' } }), `B1 ${label} with Basic credentials`)
    // B3: the valid token anywhere but the Authorization header is ignored.
    assertNoCredentials(t, await send({ url: `${op.url}?access_token=${token}` }), `B3 ${label} with ?access_token=`)
    assertNoCredentials(t, await send({ headers: { cookie: `access_token=${token}; token=${token}` } }), `B3 ${label} with the token in a cookie`)
    assertNoCredentials(t, await send({ headers: { 'x-access-token': token, 'x-auth-token': token, 'x-authorization': `Bearer ${token}` } }), `B3 ${label} with the token in other headers`)
    if (op.method !== 'GET' && op.method !== 'DELETE') {
      assertNoCredentials(t, await send({ payload: { access_token: token } }), `B3 ${label} with the token in a JSON body`)
      assertNoCredentials(t, await send({ payload: `access_token=${token}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } }), `B3 ${label} with the token in a form body`)
    }
    // B2: a bad token names the error; a user token on an admin operation lacks scope.
    const bad = await send({ headers: bearer(`${token}x`) })
    t.equal(bad.statusCode, 401, `B2 ${label} with a bad token: 401`)
    t.match(String(bad.headers['www-authenticate']), /^Bearer realm="[^"]+", error="invalid_token"/, `B2 ${label}: error="invalid_token"`)
    assertProblem(t, bad, `B2 ${label} with a bad token`)
    if (op.admin) {
      const denied = await send({ headers: bearer(token) })
      t.equal(denied.statusCode, 403, `B2 ${label} with a user token: 403`)
      t.match(String(denied.headers['www-authenticate']), /error="insufficient_scope"/, `B2 ${label}: error="insufficient_scope"`)
      assertProblem(t, denied, `B2 ${label} with a user token`)
    }
  }
  t.ok(protectedOps.some((op) => op.admin), 'the document has admin operations to check B2 against')
})

t.test('B3 the scheme is case-insensitive, the token is exact', async (t) => {
  const { app } = await buildTestApp(t)
  const user = await registerAndLogin(app, 'scheme')
  const token = user.tokens.access_token
  for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
    const response = await app.inject({ method: 'GET', url: '/protected', headers: { authorization: `${scheme} ${token}` } })
    t.equal(response.statusCode, 200, `B3 scheme "${scheme}" is accepted`)
  }
  // A malformed Authorization header may answer 400 or 401 (contract), always as a problem; here: 401 invalid_token.
  for (const header of [`Bearer  ${token}`, `Bearer ${token} extra`, `Bearer\t${token}`, `Bearer ${token.toLowerCase()}`, 'Bearer', 'Bearer ', `Bearer "${token}"`, `Bearer ${token},${token}`]) {
    const response = await app.inject({ method: 'GET', url: '/protected', headers: { authorization: header } })
    t.ok(response.statusCode === 401 || response.statusCode === 400, `B3 ${JSON.stringify(header.slice(0, 12))}... answers ${response.statusCode}`)
    if (response.statusCode === 401) t.match(String(response.headers['www-authenticate']), /error="invalid_token"/)
    assertProblem(t, response, `B3 malformed header ${JSON.stringify(header.slice(0, 12))}`)
  }
  const query = await app.inject({ method: 'GET', url: `/protected?access_token=${token}`, headers: bearer(token) })
  t.equal(query.statusCode, 200, 'a stray ?access_token= does not break a proper request')
})

for (const environment of ['development', 'test', 'production'] as const) {
  t.test(`B4 every error is a problem document, status equal to the HTTP status [NODE_ENV=${environment}]`, async (t) => {
    const { app } = await buildTestApp(t, { NODE_ENV: environment, ...(environment === 'production' ? { WEBAUTHN_ORIGINS: 'https://app.example.com' } : {}) })
    const cases: Array<[string, InjectOptions]> = [
      ['unknown route', { method: 'GET', url: '/no/such/route' }],
      ['unknown method', { method: 'PUT', url: '/protected' }],
      ['bad JSON', { method: 'POST', url: '/auth/login', payload: '{"username":', headers: { 'content-type': 'application/json' } }],
      ['JSON with __proto__', { method: 'POST', url: '/auth/login', payload: '{"__proto__":{"x":1},"username":"abc","password":"p"}', headers: { 'content-type': 'application/json' } }],
      ['text/plain body', { method: 'POST', url: '/auth/login', payload: 'username=a', headers: { 'content-type': 'text/plain' } }],
      ['no content type', { method: 'POST', url: '/auth/login', payload: 'x' }],
      ['wrong types', { method: 'POST', url: '/auth/login', payload: { username: 1, password: null } }],
      ['unknown field', { method: 'POST', url: '/auth/register', payload: { username: 'abc', password: 'p'.repeat(20), roles: ['admin'] } }],
      ['body too large', { method: 'POST', url: '/auth/login', payload: { username: 'abc', password: 'p'.repeat(200_000) } }],
      ['no token', { method: 'GET', url: '/auth/me' }],
      ['bad token', { method: 'GET', url: '/auth/me', headers: { authorization: 'Bearer a.b.c' } }],
      ['path traversal', { method: 'GET', url: '/../../etc/passwd' }],
      ['encoded null byte', { method: 'GET', url: '/protected%00' }],
      ['long parameter', { method: 'GET', url: `/notes/${'a'.repeat(5000)}`, headers: { authorization: 'Bearer a.b.c' } }],
      ['undecodable URL', { method: 'GET', url: '/notes/%E0%A4%A', headers: { authorization: 'Bearer a.b.c' } }]
    ]
    for (const [name, options] of cases) {
      const response = await app.inject(options)
      t.ok(response.statusCode >= 400 && response.statusCode < 500, `B4 ${name}: a 4xx (${response.statusCode})`)
      assertProblem(t, response, `B4 ${name}`)
      t.equal(response.headers['x-content-type-options'], 'nosniff', `B4 ${name}: nosniff like every response`)
      t.type(response.headers['x-request-id'], 'string', `B4 ${name}: carries X-Request-Id`)
    }
  })
}
