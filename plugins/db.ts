import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { Kysely } from 'kysely'
import { MIGRATION_POSTGRES_BOUNDS, openDatabase, type DatabaseHandle } from '../src/db/database.js'
import { migrateToLatest } from '../src/db/migrate.js'
import type { Database } from '../src/db/schema.js'

declare module 'fastify' {
  interface FastifyInstance {
    db: Kysely<Database>
    database: DatabaseHandle
  }
}

/**
 * On PostgreSQL, migrations run on a pool of their own with long statement bounds (DDL, or
 * waiting for another instance's migration lock), closed before requests are served; requests
 * get the short bounds that answer 503 within about 2 s. SQLite has one connection for both.
 */
async function migrate (fastify: FastifyInstance, handle: DatabaseHandle): Promise<void> {
  const url = fastify.config.DATABASE_URL
  const migrations = handle.dialect === 'postgres' ? openDatabase(url, MIGRATION_POSTGRES_BOUNDS) : handle
  try {
    const applied = await migrateToLatest(migrations.db)
    if (applied.length > 0) fastify.log.info({ migrations: applied }, 'database migrations applied')
  } finally {
    if (migrations !== handle) await migrations.close()
  }
}

/** Opens DATABASE_URL, applies pending migrations, and closes the pool when the app closes. */
async function dbPlugin (fastify: FastifyInstance): Promise<void> {
  const config = fastify.config
  const handle = openDatabase(config.DATABASE_URL, {
    connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
    // A lost connection is an incident worth a line, never a crash (I3); the query on it answers 503.
    onConnectionError: (error) => { fastify.log.warn({ code: (error as { code?: unknown }).code, reason: error.message }, 'database connection lost') }
  })
  try {
    await migrate(fastify, handle)
  } catch (error) {
    await handle.close()
    throw error
  }
  fastify.decorate('db', handle.db)
  fastify.decorate('database', handle)
  fastify.addHook('onClose', async () => { await handle.close() })
}

export default fp(dbPlugin, { name: 'db', fastify: '5.x', dependencies: ['config'] })
