import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely'
import { initialMigration } from './migrations/0001-initial.js'
import type { Database } from './schema.js'

/** Migrations are listed in code (not read from disk) so dist/ and tsx run the same set. */
const migrations: Record<string, Migration> = {
  '0001-initial': initialMigration
}

const provider: MigrationProvider = {
  getMigrations: async () => await Promise.resolve(migrations)
}

/** Applies pending migrations; returns the names applied. Throws on the first failure. */
export async function migrateToLatest (db: Kysely<Database>): Promise<string[]> {
  const migrator = new Migrator({ db, provider })
  const { error, results } = await migrator.migrateToLatest()
  if (error !== undefined) {
    throw error instanceof Error ? error : new Error('migration failed')
  }
  return (results ?? []).filter((result) => result.status === 'Success').map((result) => result.migrationName)
}
