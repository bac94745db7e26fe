import { connect, type AddressInfo, type Socket } from 'node:net'
import type { FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import { SERVER_LIMITS } from '../../src/build-app.js'
import { buildTestApp } from '../helpers/app.js'

/** Sends raw bytes (nothing a client library would refuse to send) and collects the answer until the server closes. */
async function rawExchange (port: number, request: string): Promise<string> {
  return await new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' })
    let answer = ''
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      answer += chunk
      // A complete keep-alive answer does not close the socket: stop once the body is in.
      const length = /content-length: (\d+)/i.exec(answer)?.[1]
      const bodyStart = answer.indexOf('\r\n\r\n')
      if (length !== undefined && bodyStart >= 0 && Buffer.byteLength(answer.slice(bodyStart + 4)) >= Number(length)) socket.end()
    })
    socket.on('error', reject)
    socket.on('close', () => { resolve(answer) })
    socket.write(request)
  })
}

function statusOf (answer: string): number {
  return Number(/^HTTP\/1\.1 (\d{3}) /.exec(answer)?.[1])
}

function bodyOf (answer: string): Record<string, unknown> {
  return JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>
}

async function listening (t: Test): Promise<{ app: FastifyInstance, port: number }> {
  const { app } = await buildTestApp(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  return { app, port: (app.server.address() as AddressInfo).port }
}

t.test('F2: the listening server carries the timeouts and header limit of SERVER_LIMITS', async (t) => {
  // Pinned as numbers too: the constant and the options could otherwise drift together.
  t.same(SERVER_LIMITS, { connectionTimeout: 60_000, requestTimeout: 30_000, keepAliveTimeout: 72_000, maxHeaderSize: 16_384, maxParamLength: 200 })
  const { app } = await listening(t)
  const server = app.server as typeof app.server & { maxHeaderSize?: number }
  t.equal(server.requestTimeout, SERVER_LIMITS.requestTimeout)
  t.equal(server.requestTimeout, 30_000, 'a request must arrive completely within 30 s')
  t.equal(server.keepAliveTimeout, SERVER_LIMITS.keepAliveTimeout)
  t.equal(server.keepAliveTimeout, 72_000, 'idle keep-alive outlives a 60 s load-balancer idle timeout')
  t.equal(server.timeout, SERVER_LIMITS.connectionTimeout)
  t.equal(server.timeout, 60_000, 'connectionTimeout: an inactive socket is closed after 60 s')
  // Node's own default is 16 KiB as well: only the explicit option makes the property defined.
  t.equal(server.maxHeaderSize, SERVER_LIMITS.maxHeaderSize)
  t.equal(server.maxHeaderSize, 16_384)
})

t.test('F2/B4: headers over 16 KiB answer 431 as a problem document; just under passes', async (t) => {
  const { port } = await listening(t)
  const big = await rawExchange(port, `GET /health HTTP/1.1\r\nHost: localhost\r\nX-Padding: ${'a'.repeat(20 * 1024)}\r\n\r\n`)
  t.equal(statusOf(big), 431)
  t.match(big, /\r\ncontent-type: application\/problem\+json/i)
  t.match(big, /\r\nconnection: close/i)
  t.match(bodyOf(big), { status: 431, title: String })

  const fits = await rawExchange(port, `GET /health HTTP/1.1\r\nHost: localhost\r\nX-Padding: ${'a'.repeat(15 * 1024)}\r\n\r\n`)
  t.equal(statusOf(fits), 200, 'a 15 KiB header is within the limit')
})

t.test('F2/B4: a request timeout answers 408 as a problem document and closes the socket', async (t) => {
  // Node raises ERR_HTTP_REQUEST_TIMEOUT only from its connection check, every 30 s at the
  // earliest (connectionsCheckingInterval is fixed at creation), too slow for a unit test. So the
  // server's own 'clientError' event is emitted with that error on a real accepted socket: the
  // path Node takes on a timeout, minus the wait.
  const { app, port } = await listening(t)
  const accepted = new Promise<Socket>((resolve) => { app.server.once('connection', resolve) })
  const answer = new Promise<string>((resolve, reject) => {
    const client = connect({ port, host: '127.0.0.1' })
    let text = ''
    client.setEncoding('utf8')
    client.on('data', (chunk: string) => { text += chunk })
    client.on('error', reject)
    client.on('close', () => { resolve(text) })
    // An incomplete request line: what a slow client leaves behind.
    client.write('GET /hea')
  })
  const socket = await accepted
  app.server.emit('clientError', Object.assign(new Error('Request timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }), socket)
  const text = await answer
  t.equal(statusOf(text), 408)
  t.match(text, /\r\ncontent-type: application\/problem\+json/i)
  t.match(bodyOf(text), { status: 408 })
})
