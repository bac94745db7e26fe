import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { buildApp, type BuildOptions } from '../../src/build-app.js'
import { loadConfig, type Config } from '../../src/config.js'

/** The part of tap's Test this helper needs (teardown), so helpers work with any test object. */
export interface Teardown {
  teardown: (fn: () => unknown) => void
}

/** A fresh directory removed when the test ends. */
export function tempDir (t: Teardown, prefix = 'secure-api-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  return dir
}

/** Environment for tests: a new SQLite file, cheap-but-valid argon2, generous rate limits. */
export function testEnv (t: Teardown, overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const dir = tempDir(t)
  return {
    NODE_ENV: 'test',
    DATABASE_URL: `sqlite:${join(dir, 'app.db')}`,
    // Mail without SMTP_URL lands here, not in the repository's ./data/outbox.
    MAIL_OUTBOX_DIR: join(dir, 'outbox'),
    KEY_ENCRYPTION_SECRET: randomBytes(32).toString('base64url'),
    LOG_LEVEL: 'info',
    RATE_LIMIT_MAX: '100000',
    AUTH_RATE_LIMIT_MAX: '100000',
    // Many users per test app from one address: the per-address layers would otherwise trip.
    REGISTER_RATE_LIMIT_MAX: '100000',
    LOGIN_IP_MAX_FAILURES: '100000',
    PASSWORD_MIN_LENGTH: '15',
    ...overrides
  }
}

export interface TestApp {
  app: FastifyInstance
  config: Config
  /** Every log line the app wrote, parsed. */
  logs: Array<Record<string, unknown>>
  /** The raw log text, for grepping canaries. */
  rawLogs: () => string
}

/** Builds the real app exactly as the server does, closes it when the test ends. */
export async function buildTestApp (t: Teardown, overrides: Record<string, string | undefined> = {}, options: Omit<BuildOptions, 'logStream'> = {}): Promise<TestApp> {
  const config = loadConfig(testEnv(t, overrides))
  return await buildTestAppFromConfig(t, config, options)
}

export async function buildTestAppFromConfig (t: Teardown, config: Config, options: Omit<BuildOptions, 'logStream'> = {}): Promise<TestApp> {
  const chunks: string[] = []
  const stream = new Writable({
    write (chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'))
      callback()
    }
  })
  const app = await buildApp(config, { ...options, logStream: stream })
  t.teardown(async () => { await app.close() })
  return {
    app,
    config,
    get logs () {
      return chunks.join('').split('\n').filter((line) => line.length > 0).map((line) => JSON.parse(line) as Record<string, unknown>)
    },
    rawLogs: () => chunks.join('')
  }
}

export function json<T = Record<string, unknown>> (response: LightMyRequestResponse): T {
  return JSON.parse(response.body) as T
}
