import { randomBytes } from 'node:crypto'
import t from 'tap'
import { sql } from 'kysely'
import { openDatabase } from '../../src/db/database.js'
import { migrateToLatest } from '../../src/db/migrate.js'
import { buildTestApp } from '../helpers/app.js'
import { onEachDatabase } from '../helpers/databases.js'
import { registerUser } from '../helpers/users.js'

const TABLES = ['notes', 'refresh_tokens', 'sessions', 'signing_keys', 'users']

onEachDatabase(t, 'db:migrate is idempotent: the second run applies nothing and the schema is whole', async (t, databaseUrl) => {
  const handle = openDatabase(databaseUrl)
  t.teardown(async () => { await handle.close() })
  const first = await migrateToLatest(handle.db)
  t.ok(first.length >= 1, `applied ${first.join(', ')}`)
  t.same(await migrateToLatest(handle.db), [], 'nothing left to apply')
  t.same(await migrateToLatest(handle.db), [], 'still nothing')
  const tables = await handle.db.introspection.getTables()
  const names = tables.map((table) => table.name)
  for (const table of TABLES) t.ok(names.includes(table), `table ${table}`)
  await handle.ping()
})

onEachDatabase(t, 'the app applies migrations at start and restarts cleanly on the same database', async (t, databaseUrl) => {
  const shared = { DATABASE_URL: databaseUrl, KEY_ENCRYPTION_SECRET: randomBytes(32).toString('base64url') }
  const first = await buildTestApp(t, shared)
  t.ok(first.logs.some((line) => line.msg === 'database migrations applied'), 'the first start migrates')
  const user = await registerUser(first.app)
  await first.app.close()
  const second = await buildTestApp(t, shared)
  t.notOk(second.logs.some((line) => line.msg === 'database migrations applied'), 'the second start has nothing to do')
  const row = await second.app.db.selectFrom('users').select('username').where('id', '=', user.id).executeTakeFirst()
  t.equal(row?.username, user.username, 'data survives')
})

onEachDatabase(t, 'usernames are unique case-insensitively at the database level', async (t, databaseUrl) => {
  const handle = openDatabase(databaseUrl)
  t.teardown(async () => { await handle.close() })
  await migrateToLatest(handle.db)
  const now = new Date().toISOString()
  await sql`insert into users (id, username, username_normalized, password_hash, roles, disabled, created_at, updated_at, last_login_at)
    values (${'00000000-0000-4000-8000-000000000001'}, ${'Ada'}, ${'ada'}, ${'x'}, ${'["user"]'}, ${0}, ${now}, ${now}, ${null})`.execute(handle.db)
  await t.rejects(sql`insert into users (id, username, username_normalized, password_hash, roles, disabled, created_at, updated_at, last_login_at)
    values (${'00000000-0000-4000-8000-000000000002'}, ${'ADA'}, ${'ada'}, ${'x'}, ${'["user"]'}, ${0}, ${now}, ${now}, ${null})`.execute(handle.db), 'a unique index guards concurrent registrations')
})
