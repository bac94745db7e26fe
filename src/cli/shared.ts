import { ConfigError, loadConfig, type Config } from '../config.js'
import { MIGRATION_POSTGRES_BOUNDS, openDatabase, type DatabaseHandle } from '../db/database.js'
import { migrateToLatest } from '../db/migrate.js'

/** Thrown for a bad command line or input: printed as one clear line, exit status 1. */
export class UsageError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

/** Runs an administration command with the server's configuration and a migrated database. */
export async function runCommand (task: (config: Config, database: DatabaseHandle, appliedMigrations: string[]) => Promise<void>): Promise<void> {
  let database: DatabaseHandle | undefined
  try {
    const config = loadConfig(process.env)
    // An operator's command, not a request: it may wait for a migration lock or run long DDL.
    database = openDatabase(config.DATABASE_URL, MIGRATION_POSTGRES_BOUNDS)
    const applied = await migrateToLatest(database.db)
    await task(config, database, applied)
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError) {
      process.stderr.write(`error: ${error.message}\n`)
    } else {
      process.stderr.write(`error: ${error instanceof Error ? error.message : 'unexpected failure'}\n`)
    }
    process.exitCode = error instanceof ConfigError ? 78 : 1
  } finally {
    await database?.close()
  }
}
