import { connect, type Socket } from 'node:net'
import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { buildTestApp, json } from '../helpers/app.js'
import { waitFor } from '../helpers/sessions.js'
import { bearer, registerAndLogin } from '../helpers/users.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

interface Problem {
  type: string
  title: string
  status: number
  detail: string
  instance: string
  request_id: string
  errors?: Array<{ pointer: string, message: string, location?: string }>
}

/** B4: an RFC 9457 document whose status is the HTTP status, with nothing from inside leaking. */
function assertProblem (t: Test, response: LightMyRequestResponse, status: number, instance: string): Problem {
  t.equal(response.statusCode, status, `status ${status}`)
  t.match(response.headers['content-type'], /^application\/problem\+json/, 'problem+json')
  const body = json<Problem>(response)
  for (const field of ['type', 'title', 'detail', 'instance', 'request_id'] as const) t.type(body[field], 'string', `${field} is a string`)
  t.equal(body.status, status, 'status field equals the HTTP status')
  t.equal(body.instance, instance, 'instance is the path')
  t.equal(body.request_id, response.headers['x-request-id'], 'request_id is the X-Request-Id')
  t.notMatch(response.body, /(at \w+ \(|node_modules|\/work\/|\.ts:\d|FST_|Ajv|SyntaxError|Unexpected token|stack|sqlite|SELECT )/i, 'no stack, path, library or SQL text')
  return body
}

const registerJson = (payload: string, headers: Record<string, string> = {}): InjectOptions => ({
  method: 'POST', url: '/auth/register', headers: { 'content-type': 'application/json', ...headers }, payload
})

t.test('B4/F3: an unknown route is a 404 problem', async (t) => {
  const { app } = await buildTestApp(t)
  assertProblem(t, await app.inject({ method: 'GET', url: '/no/such/route?token=secret' }), 404, '/no/such/route')
  assertProblem(t, await app.inject({ method: 'DELETE', url: '/health' }), 404, '/health')
})

t.test('B4/F3: a text/plain or form body on a JSON route is a 415 problem', async (t) => {
  const { app } = await buildTestApp(t)
  assertProblem(t, await app.inject({ method: 'POST', url: '/auth/register', headers: { 'content-type': 'text/plain' }, payload: 'username=a&password=b' }), 415, '/auth/register')
  assertProblem(t, await app.inject({ method: 'POST', url: '/auth/login', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'username=a&password=b' }), 415, '/auth/login')
})

t.test('B4: malformed JSON, an empty JSON body and a JSON non-object are 400 problems', async (t) => {
  const { app } = await buildTestApp(t)
  assertProblem(t, await app.inject(registerJson('{"username": "ada", ')), 400, '/auth/register')
  assertProblem(t, await app.inject(registerJson('')), 400, '/auth/register')
  assertProblem(t, await app.inject(registerJson('null')), 400, '/auth/register')
  assertProblem(t, await app.inject(registerJson('[]')), 400, '/auth/register')
})

t.test('B4/F2: a body past BODY_LIMIT is a 413 problem', async (t) => {
  const { app } = await buildTestApp(t, { BODY_LIMIT: '2048' })
  const big = JSON.stringify({ username: 'ada.lovelace', password: 'x'.repeat(3000) })
  assertProblem(t, await app.inject(registerJson(big)), 413, '/auth/register')
  const justUnder = JSON.stringify({ username: 'ada.lovelace', password: 'p'.repeat(1900) })
  t.equal((await app.inject(registerJson(justUnder))).statusCode, 400, 'under the limit it reaches validation')
})

t.test('E3/B4: unknown properties are refused with a JSON pointer to each', async (t) => {
  const { app } = await buildTestApp(t)
  const response = await app.inject(registerJson(JSON.stringify({ username: 'ada.lovelace', password: 'orbit-lantern-quietly-47', roles: ['admin'], id: 'x' })))
  const body = assertProblem(t, response, 400, '/auth/register')
  const pointers = (body.errors ?? []).map((error) => error.pointer).sort()
  t.same(pointers, ['/id', '/roles'])
  for (const error of body.errors ?? []) {
    t.type(error.message, 'string')
    t.equal(error.location, 'body')
  }
})

t.test('B4: validation errors list every offending value as a pointer', async (t) => {
  const { app } = await buildTestApp(t)
  const response = await app.inject(registerJson(JSON.stringify({ username: 'a b', password: 42 })))
  const body = assertProblem(t, response, 400, '/auth/register')
  const pointers = new Set((body.errors ?? []).map((error) => error.pointer))
  t.ok(pointers.has('/username'), 'the bad username is named')
  t.ok(pointers.has('/password'), 'the wrong-typed password is named')
  const missing = assertProblem(t, await app.inject(registerJson('{}')), 400, '/auth/register')
  t.same(new Set((missing.errors ?? []).map((error) => error.pointer)), new Set(['/username', '/password']), 'missing properties are pointed at')
  const escaped = assertProblem(t, await app.inject(registerJson(JSON.stringify({ username: 'ada.lovelace', password: 'orbit-lantern-quietly-47', 'a/b~c': 1 }))), 400, '/auth/register')
  t.same(escaped.errors?.map((error) => error.pointer), ['/a~1b~0c'], 'RFC 6901 escaping')
})

t.test('B4: prototype-poisoning keys are refused, not silently kept', async (t) => {
  const { app } = await buildTestApp(t)
  for (const key of ['__proto__', 'constructor', 'prototype']) {
    const payload = `{"username":"proto.user","password":"orbit-lantern-quietly-47","${key}":{"roles":["admin"]}}`
    assertProblem(t, await app.inject(registerJson(payload)), 400, '/auth/register')
  }
  const nested = '{"username":"proto.user","password":"orbit-lantern-quietly-47","x":{"__proto__":{"admin":true}}}'
  assertProblem(t, await app.inject(registerJson(nested)), 400, '/auth/register')
  t.equal(({} as Record<string, unknown>).roles, undefined, 'Object.prototype untouched')
})

t.test('B4: X-Request-Id is echoed when sane and replaced when not', async (t) => {
  const { app } = await buildTestApp(t)
  const sane = await app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'req-123.abc:DEF_9' } })
  t.equal(sane.headers['x-request-id'], 'req-123.abc:DEF_9', 'a sane id is kept')
  const onError = await app.inject({ method: 'GET', url: '/nope', headers: { 'x-request-id': 'trace-42' } })
  t.equal(onError.headers['x-request-id'], 'trace-42')
  t.equal(json<Problem>(onError).request_id, 'trace-42', 'the problem quotes it')
  const fresh = await app.inject({ method: 'GET', url: '/health' })
  t.match(fresh.headers['x-request-id'], UUID, 'none sent: a new UUID')
  for (const insane of ['a b\n{"level":"fatal"}', 'x'.repeat(200), '<script>', 'a"b', '']) {
    const response = await app.inject({ method: 'GET', url: '/nope', headers: { 'x-request-id': insane } })
    t.match(response.headers['x-request-id'], UUID, `replaced: ${JSON.stringify(insane.slice(0, 20))}`)
    t.equal(json<Problem>(response).request_id, response.headers['x-request-id'])
  }
  const ids = new Set<string>()
  for (let i = 0; i < 20; i++) ids.add(String((await app.inject({ method: 'GET', url: '/health' })).headers['x-request-id']))
  t.equal(ids.size, 20, 'new ids are unique')
})

t.test('B4: a path parameter over maxParamLength is a 404 problem, like a malformed id', async (t) => {
  const { app } = await buildTestApp(t)
  const { tokens } = await registerAndLogin(app)
  const long = 'a'.repeat(201)
  const body = assertProblem(t, await app.inject({ method: 'GET', url: `/notes/${long}`, headers: bearer(tokens.access_token) }), 404, `/notes/${long}`)
  t.equal(body.type, 'urn:secure-api:problem:not-found')
  assertProblem(t, await app.inject({ method: 'GET', url: `/notes/${'b'.repeat(200)}`, headers: bearer(tokens.access_token) }), 404, `/notes/${'b'.repeat(200)}`)
})

/** Reads from a raw socket until `count` complete HTTP responses (Content-Length bodies) have arrived. */
async function readResponses (socket: Socket, count: number): Promise<Array<{ status: number, headers: Record<string, string>, body: string }>> {
  let buffer = ''
  return await new Promise((resolve, reject) => {
    const parse = (): void => {
      const responses: Array<{ status: number, headers: Record<string, string>, body: string }> = []
      let rest = buffer
      while (responses.length < count) {
        const end = rest.indexOf('\r\n\r\n')
        if (end < 0) return
        const [statusLine = '', ...lines] = rest.slice(0, end).split('\r\n')
        const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]))
        const length = Number(headers['content-length'] ?? 0)
        if (rest.length < end + 4 + length) return
        responses.push({ status: Number(statusLine.split(' ')[1]), headers, body: rest.slice(end + 4, end + 4 + length) })
        rest = rest.slice(end + 4 + length)
      }
      resolve(responses)
    }
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => { buffer += chunk; parse() })
    socket.on('error', reject)
    socket.on('close', () => { reject(new Error(`socket closed after: ${buffer}`)) })
  })
}

t.test('B4/G3/I4: during shutdown the request in flight ends the connection (Connection: close); one pipelined behind it is refused with a 503, never run', async (t) => {
  const testApp = await buildTestApp(t)
  const { app } = testApp
  // A slow request keeps the connection busy, so closing cannot reap it as idle.
  let release = (): void => {}
  let started = (): void => {}
  const slowStarted = new Promise<void>((resolve) => { started = resolve })
  app.get('/test-slow', async () => {
    started()
    await new Promise<void>((resolve) => { release = resolve })
    return { ok: true }
  })
  let preCloseRan = (): void => {}
  const closingStarted = new Promise<void>((resolve) => { preCloseRan = resolve })
  app.addHook('preClose', async () => { preCloseRan() })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  const socket = connect(port, '127.0.0.1')
  t.teardown(() => { socket.destroy() })
  const responses = readResponses(socket, 1)
  const socketClosed = new Promise<void>((resolve) => { socket.once('close', () => { resolve() }) })
  socket.write('GET /test-slow HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n')
  await slowStarted
  const closed = app.close()
  await closingStarted
  socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\nX-Request-Id: during-shutdown\r\n\r\n')
  // The second request is answered (queued behind the first) before the first one ends.
  t.not(await waitFor(async () => testApp.logs.some((line) => line.reqId === 'during-shutdown' && /^request (failed|rejected|refused)$/.test(String(line.msg))), 5000, 10), -1, 'the shutdown refusal was logged')
  release()
  const [slow] = await responses
  await closed
  await socketClosed
  t.equal(slow?.status, 200, 'the request in flight completes')
  t.equal(slow?.headers.connection, 'close', 'and closes its connection: the proxy sends the next request elsewhere')
  // RFC 9112 §9.6: a request pipelined behind a response that closes the connection is not
  // answered, and the client retries it; we only make sure it never ran, and said so.
  const refusal = testApp.logs.find((line) => line.reqId === 'during-shutdown' && line.msg === 'request refused')
  t.match(refusal, { status: 503, problem: 'service-unavailable' }, 'the pipelined request was refused as a 503 problem, not run')
})
