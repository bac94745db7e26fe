import { chmodSync, mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely'
import pg from 'pg'
import type { Database } from './schema.js'

export type Dialect = 'sqlite' | 'postgres'

export interface DatabaseHandle {
  db: Kysely<Database>
  dialect: Dialect
  /** Resolves when the database answers a trivial query; rejects otherwise. */
  ping: () => Promise<void>
  close: () => Promise<void>
}

/** Bounds that keep a dead database from hanging requests: they fail fast and answer 503. */
const POSTGRES_CONNECT_TIMEOUT_MS = 2000
const POSTGRES_STATEMENT_TIMEOUT_MS = 5000
const SQLITE_BUSY_TIMEOUT_MS = 5000

function sqlitePath (url: string): string {
  const path = url.slice('sqlite:'.length)
  if (path === '' || path === ':memory:') return ':memory:'
  return path.startsWith('//') ? path.slice(2) : path
}

function openSqlite (url: string): DatabaseHandle {
  const path = sqlitePath(url)
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const connection = new BetterSqlite3(path, { timeout: SQLITE_BUSY_TIMEOUT_MS })
  // Password hashes and encrypted keys live here: readable by the service only.
  if (path !== ':memory:') chmodSync(path, 0o600)
  // WAL lets readers run beside the writer; foreign keys are off by default in SQLite.
  connection.pragma('journal_mode = WAL')
  connection.pragma('foreign_keys = ON')
  connection.pragma('synchronous = NORMAL')
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: connection }) })
  return {
    db,
    dialect: 'sqlite',
    ping: async () => { await sql`select 1`.execute(db) },
    close: async () => { await db.destroy() }
  }
}

function openPostgres (url: string): DatabaseHandle {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    connectionTimeoutMillis: POSTGRES_CONNECT_TIMEOUT_MS,
    statement_timeout: POSTGRES_STATEMENT_TIMEOUT_MS,
    query_timeout: POSTGRES_STATEMENT_TIMEOUT_MS + 1000,
    idleTimeoutMillis: 30000
  })
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on('error', () => {})
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  return {
    db,
    dialect: 'postgres',
    ping: async () => { await sql`select 1`.execute(db) },
    close: async () => { await db.destroy() }
  }
}

/** Opens the database that DATABASE_URL names: `sqlite:<path>` or `postgres://...`. */
export function openDatabase (url: string): DatabaseHandle {
  if (url.startsWith('sqlite:')) return openSqlite(url)
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return openPostgres(url)
  throw new Error('DATABASE_URL must start with sqlite: or postgres://')
}
