import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { loadConfig } from '../../src/config.js'
import { buildTestApp, testEnv, type TestApp } from '../helpers/app.js'
import { uniqueUsername } from '../helpers/users.js'

const SPOOFS: Array<Record<string, string>> = [
  { 'x-forwarded-for': '203.0.113.1' },
  { 'x-forwarded-for': '203.0.113.2, 203.0.113.3' },
  { forwarded: 'for=203.0.113.4;proto=https' },
  { 'x-forwarded-for': '203.0.113.5', forwarded: 'for="[2001:db8::5]"' },
  { 'x-real-ip': '203.0.113.6', 'x-client-ip': '203.0.113.7' },
  { 'x-forwarded-for': '::1' }
]

/** The address the app believed: the `ip` of the audit event a failed login writes (H1). */
async function seenAddress (testApp: TestApp, headers: Record<string, string>, remoteAddress?: string): Promise<unknown> {
  const username = uniqueUsername('probe')
  await testApp.app.inject({ method: 'POST', url: '/auth/login', payload: { username, password: 'not-the-password-at-all' }, headers, ...(remoteAddress === undefined ? {} : { remoteAddress }) })
  const event = testApp.logs.map((line) => line.audit as Record<string, unknown> | undefined).find((audit) => audit?.username === username)
  return event?.ip
}

async function rateLimited (app: FastifyInstance, headers: Record<string, string>, remoteAddress = '127.0.0.1'): Promise<number> {
  return (await app.inject({ method: 'GET', url: '/rate-limited', headers, remoteAddress })).statusCode
}

t.test('D7: without TRUST_PROXY, forwarding headers from anyone never change request.ip', async (t) => {
  const testApp = await buildTestApp(t)
  for (const headers of SPOOFS) {
    t.equal(await seenAddress(testApp, headers), '127.0.0.1', `ignored: ${JSON.stringify(headers)}`)
    t.equal(await seenAddress(testApp, headers, '198.51.100.20'), '198.51.100.20')
  }
})

t.test('D7: without TRUST_PROXY, spoofed headers never reset a limit', async (t) => {
  const { app } = await buildTestApp(t, { LOGIN_IP_MAX_FAILURES: '2' })
  const statuses: number[] = []
  for (const headers of SPOOFS) statuses.push(await rateLimited(app, headers))
  t.same(statuses, [200, 200, 200, 200, 200, 429], 'the 6th request is refused whatever it claims')
  const logins: number[] = []
  for (const headers of SPOOFS.slice(0, 3)) {
    logins.push((await app.inject({ method: 'POST', url: '/auth/login', payload: { username: uniqueUsername('spoof'), password: 'not-the-password-at-all' }, headers })).statusCode)
  }
  t.same(logins, [401, 401, 429], 'the per-address login limit is not reset either')
})

t.test('D7: with TRUST_PROXY=127.0.0.1 the proxy speaks for the client, and nobody else does', async (t) => {
  const testApp = await buildTestApp(t, { TRUST_PROXY: '127.0.0.1' })
  const { app } = testApp
  t.equal(await seenAddress(testApp, { 'x-forwarded-for': '198.51.100.7' }), '198.51.100.7', 'the trusted proxy\'s word is used')
  t.equal(await seenAddress(testApp, { 'x-forwarded-for': '6.6.6.6, 198.51.100.8' }), '198.51.100.8', 'a client-made entry left of the proxy\'s is not believed')
  t.equal(await seenAddress(testApp, { forwarded: 'for=198.51.100.9' }), '127.0.0.1', 'Forwarded is not read at all: one header to get right')
  t.equal(await seenAddress(testApp, { 'x-forwarded-for': '198.51.100.10' }, '192.0.2.99'), '192.0.2.99', 'an untrusted peer cannot claim an address')

  for (let i = 0; i < 5; i++) t.equal(await rateLimited(app, { 'x-forwarded-for': '198.51.100.30' }), 200)
  t.equal(await rateLimited(app, { 'x-forwarded-for': '198.51.100.30' }), 429, 'limits follow the forwarded client')
  t.equal(await rateLimited(app, { 'x-forwarded-for': '9.9.9.9, 198.51.100.30' }), 429, 'prepending a spoofed hop does not help')
  t.equal(await rateLimited(app, { 'x-forwarded-for': '198.51.100.31' }), 200, 'another client behind the proxy has its own limit')
  for (let i = 0; i < 5; i++) t.equal(await rateLimited(app, { 'x-forwarded-for': `203.0.113.${i}` }, '192.0.2.98'), 200)
  t.equal(await rateLimited(app, { 'x-forwarded-for': '203.0.113.200' }, '192.0.2.98'), 429, 'an untrusted peer rotating X-Forwarded-For is limited as itself')
})

t.test('G2: HSTS when a trusted proxy says the client used HTTPS, never on an untrusted peer\'s word', async (t) => {
  const behindProxy = await buildTestApp(t, { TRUST_PROXY: '127.0.0.1' })
  const https = await behindProxy.app.inject({ method: 'GET', url: '/health', headers: { 'x-forwarded-proto': 'https' } })
  t.match(https.headers['strict-transport-security'], /max-age=(\d+)/)
  t.ok(Number(/max-age=(\d+)/.exec(String(https.headers['strict-transport-security']))?.[1]) >= 31_536_000, 'at least one year')
  const untrusted = await behindProxy.app.inject({ method: 'GET', url: '/health', headers: { 'x-forwarded-proto': 'https' }, remoteAddress: '192.0.2.97' })
  t.equal(untrusted.headers['strict-transport-security'], undefined, 'an untrusted peer cannot ask for HSTS')
  const plain = await behindProxy.app.inject({ method: 'GET', url: '/health', headers: { 'x-forwarded-proto': 'http' } })
  t.equal(plain.headers['strict-transport-security'], undefined)

  const direct = await buildTestApp(t)
  const spoofed = await direct.app.inject({ method: 'GET', url: '/health', headers: { 'x-forwarded-proto': 'https', forwarded: 'proto=https' } })
  t.equal(spoofed.headers['strict-transport-security'], undefined, 'without TRUST_PROXY nobody is believed')
})

t.test('D7: TRUST_PROXY takes addresses only, never true or a hop count', async (t) => {
  for (const value of ['true', '1', '2', '*', 'loopback', '10.0.0.0/33']) {
    t.throws(() => loadConfig(testEnv(t, { TRUST_PROXY: value })), /TRUST_PROXY/, `refused: ${value}`)
  }
  t.equal(loadConfig(testEnv(t, { TRUST_PROXY: '10.0.0.1, 10.1.0.0/16, ::1' })).TRUST_PROXY, '10.0.0.1, 10.1.0.0/16, ::1')
})
