import { chmodSync, mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { Kysely, PostgresDialect, SqliteDialect, sql, type PostgresPool } from 'kysely'
import type { PostgresBounds } from './postgres-pool.js'
import type { Database } from './schema.js'

export type Dialect = 'sqlite' | 'postgres'

export interface DatabaseHandle {
  db: Kysely<Database>
  dialect: Dialect
  /** Resolves when the database answers a trivial query; rejects otherwise. */
  ping: () => Promise<void>
  close: () => Promise<void>
}

export interface DatabaseOptions extends Partial<PostgresBounds> {
  /** A PostgreSQL connection failed (reset, server gone); the query that used it fails on its own. */
  onConnectionError?: (error: Error) => void
}

/**
 * Bounds that keep a dead database from hanging requests: they fail fast and answer 503
 * (DATABASE_CONNECT_TIMEOUT_MS / DATABASE_STATEMENT_TIMEOUT_MS override them).
 */
export const DEFAULT_POSTGRES_BOUNDS: PostgresBounds = { connectTimeoutMs: 2000, statementTimeoutMs: 2000 }
/**
 * Migrations and administration commands: DDL on a large table, or waiting for another
 * instance's migration lock, may take longer than a request may; connecting stays bounded.
 */
export const MIGRATION_POSTGRES_BOUNDS: PostgresBounds = { connectTimeoutMs: 5000, statementTimeoutMs: 600_000 }
/** A writer waits this long for SQLite's lock before SQLITE_BUSY (503). */
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

function openPostgres (url: string, options: DatabaseOptions): DatabaseHandle {
  const bounds: PostgresBounds = {
    connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_POSTGRES_BOUNDS.connectTimeoutMs,
    statementTimeoutMs: options.statementTimeoutMs ?? DEFAULT_POSTGRES_BOUNDS.statementTimeoutMs
  }
  // No connection fault may crash the process (I3); the caller only logs it. node-postgres
  // loads with the first query, so a SQLite instance never holds it (issue 10, memory).
  const pool = async (): Promise<PostgresPool> => {
    const { ResilientPool } = await import('./postgres-pool.js')
    return new ResilientPool(url, bounds, options.onConnectionError ?? (() => {}))
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  return {
    db,
    dialect: 'postgres',
    ping: async () => { await sql`select 1`.execute(db) },
    close: async () => { await db.destroy() }
  }
}

/** Opens the database that DATABASE_URL names: `sqlite:<path>` or `postgres://...`. */
export function openDatabase (url: string, options: DatabaseOptions = {}): DatabaseHandle {
  if (url.startsWith('sqlite:')) return openSqlite(url)
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return openPostgres(url, options)
  throw new Error('DATABASE_URL must start with sqlite: or postgres://')
}
