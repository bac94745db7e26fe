import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { Kysely } from 'kysely'
import { openDatabase, type DatabaseHandle } from '../src/db/database.js'
import { migrateToLatest } from '../src/db/migrate.js'
import type { Database } from '../src/db/schema.js'

declare module 'fastify' {
  interface FastifyInstance {
    db: Kysely<Database>
    database: DatabaseHandle
  }
}

/** Opens DATABASE_URL, applies pending migrations, and closes the pool when the app closes. */
async function dbPlugin (fastify: FastifyInstance): Promise<void> {
  const handle = openDatabase(fastify.config.DATABASE_URL)
  try {
    const applied = await migrateToLatest(handle.db)
    if (applied.length > 0) fastify.log.info({ migrations: applied }, 'database migrations applied')
  } catch (error) {
    await handle.close()
    throw error
  }
  fastify.decorate('db', handle.db)
  fastify.decorate('database', handle)
  fastify.addHook('onClose', async () => { await handle.close() })
}

export default fp(dbPlugin, { name: 'db', fastify: '5.x', dependencies: ['config'] })
