import { createConnection, createServer, type Server, type Socket } from 'node:net'
import type { Teardown } from './app.js'

interface Pair { client: Socket, upstream: Socket }

/**
 * A cuttable TCP proxy between the app and a real server (PostgreSQL here): it can reset every
 * connection mid-query, black-hole them (sockets stay open, nothing is forwarded, as a dead
 * network path or a frozen server looks), and restore forwarding. Only real parts: no mock.
 */
export class TcpProxy {
  private readonly pairs = new Set<Pair>()
  private blackholed = false
  private refusing = false

  private constructor (private readonly server: Server, readonly port: number, private readonly target: { host: string, port: number }) {}

  static async start (t: Teardown, target: { host: string, port: number }): Promise<TcpProxy> {
    const server = createServer()
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, '127.0.0.1', () => { resolve() })
    })
    const address = server.address()
    const port = typeof address === 'object' && address !== null ? address.port : 0
    const proxy = new TcpProxy(server, port, target)
    server.on('connection', (client) => { proxy.accept(client) })
    t.teardown(async () => { await proxy.close() })
    return proxy
  }

  /** The same URL with host and port replaced by the proxy's. */
  urlFor (databaseUrl: string): string {
    const url = new URL(databaseUrl)
    url.hostname = '127.0.0.1'
    url.port = String(this.port)
    return url.toString()
  }

  get connections (): number {
    return this.pairs.size
  }

  private accept (client: Socket): void {
    if (this.refusing) {
      client.resetAndDestroy()
      return
    }
    const upstream = createConnection(this.target)
    const pair = { client, upstream }
    this.pairs.add(pair)
    // While black-holed, bytes are read and dropped: the peer sees an open, silent connection.
    client.on('data', (chunk: Buffer) => { if (!this.blackholed && !upstream.destroyed) upstream.write(chunk) })
    upstream.on('data', (chunk: Buffer) => { if (!this.blackholed && !client.destroyed) client.write(chunk) })
    const end = (): void => {
      this.pairs.delete(pair)
      client.destroy()
      upstream.destroy()
    }
    client.on('error', end)
    upstream.on('error', end)
    client.on('close', end)
    upstream.on('close', end)
  }

  /** Every open connection is reset (RST) at once, whatever it was doing. */
  resetAll (): void {
    for (const { client, upstream } of this.pairs) {
      client.resetAndDestroy()
      upstream.destroy()
    }
    this.pairs.clear()
  }

  /** A server restarting: every connection is reset and new ones are refused until restore(). */
  down (): void {
    this.refusing = true
    this.resetAll()
  }

  /** Nothing is forwarded any more, on open and on new connections, and nothing is closed. */
  blackhole (): void {
    this.blackholed = true
  }

  /**
   * Forwarding resumes for new connections. Connections that lived through the black hole lost
   * bytes in both directions and can never be in step again: they are reset, as a stateful
   * firewall or a restarted PostgreSQL would.
   */
  restore (): void {
    if (this.blackholed) this.resetAll()
    this.blackholed = false
    this.refusing = false
  }

  async close (): Promise<void> {
    this.resetAll()
    if (!this.server.listening) return
    await new Promise<void>((resolve) => { this.server.close(() => { resolve() }) })
  }
}
