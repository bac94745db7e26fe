import { runCommand } from './shared.js'

/** `npm run db:migrate`: applies pending migrations (runCommand does it for every command) and says which. */
await runCommand(async (_config, database, applied) => {
  process.stdout.write(`database at latest migration (${database.dialect})${applied.length > 0 ? `; applied now: ${applied.join(', ')}` : ''}\n`)
})
