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

/** One run of the migrator: the migrations it applied, and the error that stopped it, if any. */
async function migrateOnce (db: Kysely<Database>): Promise<{ applied: string[], error?: Error }> {
  // Kysely never throws here: every failure, the database unreachable included, comes back as `error`.
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest()
  const applied = (results ?? []).filter((result) => result.status === 'Success').map((result) => result.migrationName)
  if (error === undefined) return { applied }
  return { applied, error: error instanceof Error ? error : new Error('migration failed') }
}

/**
 * Applies pending migrations; returns the names this process applied. PostgreSQL serialises
 * concurrent runs with Kysely's advisory lock, but SQLite has no lock across processes: two
 * instances (or a CLI and a server) starting together on a new file can both try the same
 * migration. The loser's attempt fails, and its retry finds the work done. A run may also apply
 * some migrations and then lose the race on a later one: what it applied still counts.
 */
export async function migrateToLatest (db: Kysely<Database>): Promise<string[]> {
  const applied: string[] = []
  for (let attempt = 1; ; attempt++) {
    const run = await migrateOnce(db)
    applied.push(...run.applied)
    if (run.error === undefined) return applied
    if (attempt >= MIGRATION_ATTEMPTS) throw run.error
    await new Promise((resolve) => setTimeout(resolve, 100 * attempt + Math.floor(Math.random() * 100)))
  }
}
