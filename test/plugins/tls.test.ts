import { request as httpsRequest } from 'node:https'
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import selfsigned from 'selfsigned'
import t from 'tap'
import { buildTestApp, tempDir } from '../helpers/app.js'

interface Answer { status: number, headers: IncomingHttpHeaders, body: string }

/** One real request over the network, trusting our self-signed certificate for the test. */
async function get (url: string): Promise<Answer> {
  const send = url.startsWith('https:') ? httpsRequest : httpRequest
  return await new Promise((resolve, reject) => {
    const req = send(url, { rejectUnauthorized: false, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { body += chunk })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, headers: res.headers, body }) })
    })
    req.on('error', reject)
    req.end()
  })
}

function maxAge (headers: IncomingHttpHeaders): number {
  return Number(/max-age=(\d+)/.exec(String(headers['strict-transport-security'] ?? ''))?.[1] ?? 0)
}

t.test('G2: served over HTTPS with TLS_CERT_FILE/TLS_KEY_FILE, every response carries a year of HSTS', async (t) => {
  const dir = tempDir(t)
  const pems = await selfsigned.generate([{ name: 'commonName', value: '127.0.0.1' }], { keyType: 'ec', notAfterDate: new Date(Date.now() + 86_400_000) })
  const certFile = join(dir, 'cert.pem')
  const keyFile = join(dir, 'key.pem')
  writeFileSync(certFile, pems.cert)
  writeFileSync(keyFile, pems.private, { mode: 0o600 })

  const { app } = await buildTestApp(t, { TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as AddressInfo

  const health = await get(`https://127.0.0.1:${port}/health`)
  t.equal(health.status, 200)
  t.same(JSON.parse(health.body), { status: 'ok' })
  t.ok(maxAge(health.headers) >= 31536000, `HSTS max-age >= 1 year (got ${String(health.headers['strict-transport-security'])})`)
  const missing = await get(`https://127.0.0.1:${port}/no/such/route`)
  t.equal(missing.status, 404)
  t.ok(maxAge(missing.headers) >= 31536000, 'errors carry HSTS too')
  const unauthorized = await get(`https://127.0.0.1:${port}/protected`)
  t.equal(unauthorized.status, 401)
  t.ok(maxAge(unauthorized.headers) >= 31536000)
})

t.test('G2: a plain HTTP server sends no HSTS (it would mean nothing and break local use)', async (t) => {
  const { app } = await buildTestApp(t)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as AddressInfo
  const health = await get(`http://127.0.0.1:${port}/health`)
  t.equal(health.status, 200)
  t.notOk('strict-transport-security' in health.headers)
})
