import { migrateToLatest } from '../db/migrate.js'
import { runCommand } from './shared.js'

/** `npm run db:migrate`: applies pending migrations (runCommand already migrates; this reports). */
await runCommand(async (_config, database) => {
  const applied = await migrateToLatest(database.db)
  process.stdout.write(`database at latest migration (${database.dialect})${applied.length > 0 ? `; applied now: ${applied.join(', ')}` : ''}\n`)
})
