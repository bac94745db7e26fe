import t from 'tap'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { buildTestApp } from '../helpers/app.js'
import { auditEvents } from '../helpers/sessions.js'
import { registerUser } from '../helpers/users.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

async function failedLogin (app: FastifyInstance, username: string, headers: Record<string, string>, remoteAddress?: string): Promise<LightMyRequestResponse> {
  const response = await app.inject({
    method: 'POST',
    url: '/auth/login',
    payload: { username, password: 'not-the-password-at-all' },
    headers,
    ...(remoteAddress === undefined ? {} : { remoteAddress })
  })
  if (response.statusCode !== 401) throw new Error(`expected 401, got ${response.statusCode}`)
  return response
}

async function loginFailureRows (app: FastifyInstance): Promise<Array<{ request_id: string, client_request_id: string | null, ip: string | null }>> {
  return await app.db.selectFrom('audit_events').select(['request_id', 'client_request_id', 'ip'])
    .where('type', '=', 'login').where('outcome', '=', 'failure').execute()
}

t.test('J3: a client\'s X-Request-Id is echoed but never becomes the audit request id', async (t) => {
  const testApp = await buildTestApp(t)
  const { app } = testApp
  const user = await registerUser(app)
  const response = await failedLogin(app, user.username, { 'x-request-id': 'forged-123' })
  t.equal(response.headers['x-request-id'], 'forged-123', 'the contract: a sane caller id is echoed')

  const rows = await loginFailureRows(app)
  t.equal(rows.length, 1)
  t.not(rows[0]?.request_id, 'forged-123', 'J3: not trusted as the audit request id')
  t.match(rows[0]?.request_id, UUID, 'J3: ours instead')
  t.equal(rows[0]?.client_request_id, 'forged-123', 'J3: kept apart, as the client\'s')
  t.equal(rows[0]?.ip, '127.0.0.1')
  const logged = auditEvents(testApp.logs, 'login')
  t.equal(logged.length, 1)
  t.match(logged[0], { request_id: rows[0]?.request_id, client_request_id: 'forged-123' }, 'H1/J3: the audit log line says the same')

  // An id the server would not echo (not plain) is simply replaced: nothing to keep apart.
  const insane = await failedLogin(app, user.username, { 'x-request-id': 'forged 456 {"x":1}' })
  const replaced = insane.headers['x-request-id']
  t.match(replaced, UUID, 'a strange id is replaced in the response')
  const again = (await loginFailureRows(app)).find((row) => row.request_id === replaced)
  t.ok(again !== undefined, 'the audit row carries the id the response carried')
  t.equal(again?.client_request_id, null)
})

t.test('J3: through a trusted proxy its X-Request-Id is the audit request id; from anywhere else it is not', async (t) => {
  const { app } = await buildTestApp(t, { TRUST_PROXY: '127.0.0.1' })
  const user = await registerUser(app)

  const proxied = await failedLogin(app, user.username, { 'x-request-id': 'proxy-req-789', 'x-forwarded-for': '203.0.113.5' }, '127.0.0.1')
  t.equal(proxied.headers['x-request-id'], 'proxy-req-789')
  const viaProxy = (await loginFailureRows(app)).find((row) => row.ip === '203.0.113.5')
  t.ok(viaProxy !== undefined, 'the client address the proxy named is recorded')
  t.equal(viaProxy?.request_id, 'proxy-req-789', 'J3: the trusted proxy\'s id is the request id')
  t.equal(viaProxy?.client_request_id, null, 'J3: nothing to keep apart')

  const direct = await failedLogin(app, user.username, { 'x-request-id': 'forged-123', 'x-forwarded-for': '203.0.113.6' }, '192.0.2.10')
  t.equal(direct.headers['x-request-id'], 'forged-123', 'still echoed')
  const rows = await loginFailureRows(app)
  t.notOk(rows.some((row) => row.ip === '203.0.113.6'), 'an untrusted peer cannot name its address either')
  const untrusted = rows.find((row) => row.ip === '192.0.2.10')
  t.ok(untrusted !== undefined, 'the untrusted attempt is recorded under its own address')
  t.not(untrusted?.request_id, 'forged-123', 'J3: an untrusted peer\'s id is not the request id')
  t.match(untrusted?.request_id, UUID)
  t.equal(untrusted?.client_request_id, 'forged-123', 'J3: kept apart')
})
