import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely'
import { initialMigration } from './migrations/0001-initial.js'
import { epochsDevicesAuditMigration } from './migrations/0002-epochs-devices-audit.js'
import { secondFactorsMigration } from './migrations/0003-second-factors.js'
import { passkeysMigration } from './migrations/0004-passkeys.js'
import { emailRecoveryMigration } from './migrations/0005-email-recovery.js'
import type { Database } from './schema.js'

/** Migrations are listed in code (not read from disk) so dist/ and tsx run the same set. */
const migrations: Record<string, Migration> = {
  '0001-initial': initialMigration,
  '0002-epochs-devices-audit': epochsDevicesAuditMigration,
  '0003-second-factors': secondFactorsMigration,
  '0004-passkeys': passkeysMigration,
  '0005-email-recovery': emailRecoveryMigration
}

/** Every migration's name, in the order they apply. */
export const MIGRATION_NAMES: readonly string[] = Object.keys(migrations).sort()

const provider: MigrationProvider = {
  getMigrations: async () => await Promise.resolve(migrations)
}

/** How often a migration run that lost a race with another process is retried. */
const MIGRATION_ATTEMPTS = 3

async function migrateOnce (db: Kysely<Database>): Promise<string[]> {
  const migrator = new Migrator({ db, provider })
  const { error, results } = await migrator.migrateToLatest()
  if (error !== undefined) {
    throw error instanceof Error ? error : new Error('migration failed')
  }
  return (results ?? []).filter((result) => result.status === 'Success').map((result) => result.migrationName)
}

/**
 * Applies pending migrations; returns the names applied. PostgreSQL serialises concurrent
 * runs with Kysely's advisory lock, but SQLite has no lock across processes: two instances
 * (or a CLI and a server) starting together on a new file can both try the same migration.
 * The loser's transaction rolls back, and its retry finds the work done.
 */
export async function migrateToLatest (db: Kysely<Database>): Promise<string[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await migrateOnce(db)
    } catch (error) {
      if (attempt >= MIGRATION_ATTEMPTS) throw error
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt + Math.floor(Math.random() * 100)))
    }
  }
}
