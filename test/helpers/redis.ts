import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import type { Teardown } from './app.js'

/** The machine's shared Redis; tests only ever touch keys under their own prefix. */
export const SHARED_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

/** Like the PostgreSQL suites: without TEST_REDIS_URL the Redis tests are skipped, saying why. */
export const REDIS_SKIP: string | false = process.env.TEST_REDIS_URL === undefined
  ? 'Redis suite skipped: TEST_REDIS_URL is not set (e.g. redis://127.0.0.1:6379)'
  : false

/** The outage tests run a redis-server of their own; skipped, saying why, without the binary. */
export const REDIS_SERVER_SKIP: string | false = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0
  ? false
  : 'Redis outage suite skipped: no redis-server binary on PATH'

/** A key prefix no other test run uses, removed (with everything under it) when the test ends. */
export function redisPrefix (t: Teardown, url = SHARED_REDIS_URL): string {
  const prefix = `test:${process.pid}:${randomBytes(6).toString('hex')}:`
  t.teardown(async () => {
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 })
    try {
      await redis.connect()
      let cursor = '0'
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500)
        if (keys.length > 0) await redis.del(...keys)
        cursor = next
      } while (cursor !== '0')
    } catch {
      // A throwaway server that is already gone has nothing left to clean.
    } finally {
      redis.disconnect()
    }
  })
  return prefix
}

export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => { resolve(port) })
    })
  })
}

async function ping (port: number): Promise<boolean> {
  const redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 300, retryStrategy: () => null })
  redis.on('error', () => {})
  try {
    await redis.connect()
    return (await redis.ping()) === 'PONG'
  } catch {
    return false
  } finally {
    redis.disconnect()
  }
}

/**
 * A throwaway redis-server of our own on a free port, with no persistence, that a test may
 * stop and start again to play an outage (the shared Redis is never touched).
 */
export class ThrowawayRedis {
  private child: ChildProcess | null = null

  private constructor (readonly port: number) {}

  static async start (t: Teardown): Promise<ThrowawayRedis> {
    const server = new ThrowawayRedis(await freePort())
    t.teardown(async () => { await server.stop() })
    await server.start()
    return server
  }

  get url (): string {
    return `redis://127.0.0.1:${this.port}`
  }

  async start (): Promise<void> {
    if (this.child !== null) return
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], { stdio: 'ignore' })
    this.child = child
    child.once('exit', () => { if (this.child === child) this.child = null })
    for (let i = 0; i < 50; i++) {
      if (await ping(this.port)) return
      await sleep(100)
    }
    throw new Error(`redis-server did not start on port ${this.port}`)
  }

  /** SIGSTOP: the server keeps its connections open but answers nothing (a hung Redis). */
  pause (): void {
    this.child?.kill('SIGSTOP')
  }

  resume (): void {
    this.child?.kill('SIGCONT')
  }

  async stop (): Promise<void> {
    const child = this.child
    if (child === null) return
    this.child = null
    child.kill('SIGCONT')
    const exited = new Promise<void>((resolve) => { child.once('exit', () => { resolve() }) })
    child.kill('SIGKILL')
    await exited
  }
}

/** Resolves once the client is connected, so a test does not measure the fail-open path by accident. */
export async function redisReady (redis: Redis | null, timeoutMs = 5000): Promise<void> {
  if (redis === null) throw new Error('the app has no Redis connection')
  const deadline = Date.now() + timeoutMs
  while (redis.status !== 'ready') {
    if (Date.now() > deadline) throw new Error(`Redis not ready after ${timeoutMs} ms (status ${redis.status})`)
    await sleep(25)
  }
}
