import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import pg from 'pg'
import type { Test } from 'tap'
import { tempDir, type Teardown } from './app.js'

export interface TestDatabase {
  name: 'sqlite' | 'postgres'
  url: string
}

/**
 * PostgreSQL tests run when TEST_POSTGRES_URL names a server (`.ci/run` sets it to the local
 * one); each test file gets a database of its own, dropped afterwards.
 */
export const postgresAdminUrl = process.env.TEST_POSTGRES_URL
export const POSTGRES_SKIP_REASON = 'PostgreSQL suite skipped: TEST_POSTGRES_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/test)'

export async function createPostgresDatabase (t: Teardown): Promise<string> {
  if (postgresAdminUrl === undefined) throw new Error(POSTGRES_SKIP_REASON)
  const name = `secure_api_test_${process.pid}_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: postgresAdminUrl })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  t.teardown(async () => {
    const dropper = new pg.Client({ connectionString: postgresAdminUrl })
    await dropper.connect()
    await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await dropper.end()
  })
  const url = new URL(postgresAdminUrl)
  url.pathname = `/${name}`
  return url.toString()
}

/** SQLite always; PostgreSQL too when configured. Tests loop over these to run on both. */
export async function testDatabases (t: Teardown): Promise<TestDatabase[]> {
  const databases: TestDatabase[] = [{ name: 'sqlite', url: `sqlite:${join(tempDir(t), 'app.db')}` }]
  if (postgresAdminUrl !== undefined) databases.push({ name: 'postgres', url: await createPostgresDatabase(t) })
  return databases
}

/**
 * Runs `fn` once per database as a named subtest; the PostgreSQL run is reported as skipped,
 * with the reason, when TEST_POSTGRES_URL is not set.
 */
export function onEachDatabase (t: Test, name: string, fn: (t: Test, databaseUrl: string) => Promise<void>): void {
  void t.test(`${name} [sqlite]`, async (sub) => {
    await fn(sub, `sqlite:${join(tempDir(sub), 'app.db')}`)
  })
  if (postgresAdminUrl === undefined) {
    void t.skip(`${name} [postgres]: ${POSTGRES_SKIP_REASON}`, async () => {})
    return
  }
  void t.test(`${name} [postgres]`, async (sub) => {
    await fn(sub, await createPostgresDatabase(sub))
  })
}
