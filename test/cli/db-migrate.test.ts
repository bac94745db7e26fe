import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { cliEnv, runCli } from '../helpers/cli.js'
import { MIGRATION_NAMES } from '../../src/db/migrate.js'

t.test('db:migrate brings a new database to the latest migration and is idempotent', async (t) => {
  const env = cliEnv(t)
  const first = await runCli('db-migrate', [], env)
  t.equal(first.code, 0, first.stderr)
  t.equal(first.stdout, `database at latest migration (sqlite); applied now: ${MIGRATION_NAMES.join(', ')}\n`, 'the first run says what it applied')
  t.ok(MIGRATION_NAMES.includes('0003-second-factors'))
  t.ok(MIGRATION_NAMES.includes('0004-passkeys'))
  t.ok(MIGRATION_NAMES.includes('0005-email-recovery'))
  t.equal(first.stderr, '')

  const second = await runCli('db-migrate', [], env)
  t.equal(second.code, 0, second.stderr)
  t.match(second.stdout, /^database at latest migration \(sqlite\)\n$/, 'nothing left to apply the second time')

  // The migrated database is one the server accepts as is.
  const { app } = await buildTestApp(t, env.app)
  const ready = await app.inject({ method: 'GET', url: '/health/ready' })
  t.equal(ready.statusCode, 200)
})

t.test('db:migrate with an unsupported DATABASE_URL names the variable and exits non-zero', async (t) => {
  const result = await runCli('db-migrate', [], cliEnv(t, { DATABASE_URL: 'mysql://x' }))
  t.not(result.code, 0)
  t.match(result.stderr, /DATABASE_URL/)
  t.equal(result.stdout, '')
})

t.test('db:migrate run by several processes at once on a new SQLite file: all succeed, one applies', async (t) => {
  const env = cliEnv(t)
  const runs = await Promise.all([1, 2, 3, 4].map(async () => await runCli('db-migrate', [], env)))
  for (const run of runs) t.equal(run.code, 0, run.stderr)
  t.equal(runs.filter((run) => run.stdout.includes('applied now: 0001-initial')).length, 1, 'the migration ran exactly once')
})
