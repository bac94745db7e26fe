import { existsSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { openDatabase } from '../../src/db/database.js'
import { isDependencyUnavailable, isUniqueViolation } from '../../src/db/errors.js'
import { tempDir } from '../helpers/app.js'
import { onEachDatabase } from '../helpers/databases.js'
import { freePort } from '../helpers/redis.js'

t.test('sqlite: URLs open a file (creating its folder), sqlite:// too, and :memory:', async (t) => {
  const dir = tempDir(t)
  const nested = join(dir, 'a', 'b', 'app.db')
  const first = openDatabase(`sqlite:${nested}`)
  await first.ping()
  await first.close()
  t.ok(existsSync(nested), 'the folder and file were created')
  const slashes = openDatabase(`sqlite://${join(dir, 'other.db')}`)
  await slashes.ping()
  await slashes.close()
  t.ok(existsSync(join(dir, 'other.db')), 'sqlite:///absolute/path works')
  const memory = openDatabase('sqlite::memory:')
  t.equal(memory.dialect, 'sqlite')
  await memory.ping()
  await memory.close()
  t.throws(() => openDatabase('mysql://localhost/db'), /DATABASE_URL must start with sqlite: or postgres:\/\//)
})

onEachDatabase(t, 'ping resolves on a live database and rejects once it is closed', async (t, databaseUrl) => {
  const handle = openDatabase(databaseUrl)
  await handle.ping()
  await handle.close()
  await t.rejects(handle.ping(), 'a closed handle does not answer')
})

t.test('a PostgreSQL server that is not there fails fast and counts as a dependency outage', async (t) => {
  const port = await freePort()
  const handle = openDatabase(`postgres://postgres@127.0.0.1:${port}/nothing`)
  t.teardown(async () => { await handle.close() })
  const started = performance.now()
  const error = await handle.ping().then(() => undefined, (reason: unknown) => reason)
  t.ok(error !== undefined, 'the ping fails')
  t.ok(performance.now() - started < 3000, 'within the connect timeout')
  t.ok(isDependencyUnavailable(error), 'mapped to 503, not 500')
})

t.test('error classification: unique violations and outages in both dialects', async (t) => {
  t.ok(isUniqueViolation({ code: 'SQLITE_CONSTRAINT_UNIQUE' }))
  t.ok(isUniqueViolation({ code: 'SQLITE_CONSTRAINT_PRIMARYKEY' }))
  t.ok(isUniqueViolation({ code: '23505' }))
  t.notOk(isUniqueViolation({ code: '23503' }), 'a foreign-key violation is something else')
  t.notOk(isUniqueViolation(null))
  for (const code of ['ECONNREFUSED', '57P01', '3D000', '57P04', '28P01', '53300', 'SQLITE_BUSY']) {
    t.ok(isDependencyUnavailable({ code }), `${code} is an outage`)
  }
  t.ok(isDependencyUnavailable(new Error('Connection terminated unexpectedly')))
  t.ok(isDependencyUnavailable(new Error('timeout exceeded when trying to connect')))
  t.notOk(isDependencyUnavailable({ code: '42P01' }), 'a missing table is a bug, not an outage')
  t.notOk(isDependencyUnavailable(new Error('boom')))
  t.notOk(isDependencyUnavailable('ECONNREFUSED'), 'only error objects')
})
