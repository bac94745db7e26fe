import t from 'tap'
import { buildTestApp, json } from '../helpers/app.js'
import { onEachDatabase } from '../helpers/databases.js'
import { login, registerUser, uniqueUsername } from '../helpers/users.js'
import { QueueFullError, Semaphore } from '../../src/lib/semaphore.js'
import { canonicalPhc, PasswordHasher } from '../../src/security/passwords.js'
import argon2 from 'argon2'
import type { FastifyInstance } from 'fastify'
import { randomBytes } from 'node:crypto'

const OWASP_MINIMUM = '$argon2id$v=19$m=19456,t=2,p=1$'

async function storedHash (app: FastifyInstance, userId: string): Promise<string> {
  const row = await app.db.selectFrom('users').select('password_hash').where('id', '=', userId).executeTakeFirstOrThrow()
  return row.password_hash
}

onEachDatabase(t, 'D5: the stored hash is an argon2id PHC string with m=19456,t=2,p=1', async (t, databaseUrl) => {
  const { app } = await buildTestApp(t, { DATABASE_URL: databaseUrl })
  const user = await registerUser(app)
  const hash = await storedHash(app, user.id)
  t.ok(hash.startsWith(OWASP_MINIMUM), hash.slice(0, 40))
  t.notMatch(hash, new RegExp(user.password), 'the password is not in it')
  const other = await registerUser(app)
  t.not(await storedHash(app, other.id), hash, 'a fresh salt for each hash')
})

onEachDatabase(t, 'D5: a login rehashes the password when ARGON2_MEMORY_KIB changed', async (t, databaseUrl) => {
  // One key-encryption secret for both starts, as one deployment would have.
  const shared = { DATABASE_URL: databaseUrl, KEY_ENCRYPTION_SECRET: randomBytes(32).toString('base64url') }
  const first = await buildTestApp(t, { ...shared, ARGON2_MEMORY_KIB: '19456' })
  const user = await registerUser(first.app)
  t.ok((await storedHash(first.app, user.id)).startsWith('$argon2id$v=19$m=19456,'))
  await first.app.close()

  const second = await buildTestApp(t, { ...shared, ARGON2_MEMORY_KIB: '20480' })
  await login(second.app, user.username)
  const rehashed = await storedHash(second.app, user.id)
  t.ok(rehashed.startsWith('$argon2id$v=19$m=20480,t=2,p=1$'), `rehashed: ${rehashed.slice(0, 36)}`)
  const audit = second.logs.map((line) => line.audit as Record<string, unknown> | undefined).find((entry) => entry?.event === 'login' && entry.outcome === 'success')
  t.equal(audit?.rehashed, true, 'the audit event says so')
  await login(second.app, user.username)
  t.equal(await storedHash(second.app, user.id), rehashed, 'no rehash once the parameters match')
  const wrong = await second.app.inject({ method: 'POST', url: '/auth/login', payload: { username: user.username, password: 'not-the-right-password' } })
  t.equal(wrong.statusCode, 401, 'the new hash still refuses a wrong password')
})

t.test('D5: a wrong password never triggers a rehash', async (t) => {
  const shared = { KEY_ENCRYPTION_SECRET: randomBytes(32).toString('base64url') }
  const first = await buildTestApp(t, shared)
  const user = await registerUser(first.app)
  const before = await storedHash(first.app, user.id)
  await first.app.close()
  const second = await buildTestApp(t, { ...shared, DATABASE_URL: first.config.DATABASE_URL, ARGON2_MEMORY_KIB: '20480' })
  const wrong = await second.app.inject({ method: 'POST', url: '/auth/login', payload: { username: user.username, password: 'not-the-right-password' } })
  t.equal(wrong.statusCode, 401)
  t.equal(await storedHash(second.app, user.id), before)
})

t.test('D5: PasswordHasher fails closed on malformed hashes and always fails the dummy verify', async (t) => {
  const hasher = new PasswordHasher({ memoryKiB: 19456, timeCost: 2, parallelism: 1, maxConcurrency: 2, maxQueue: 4 })
  await t.rejects(hasher.verifyDummy('x'), /init/, 'the dummy hash must be made first')
  await hasher.init()
  const hash = await hasher.hash('correct horse battery staple')
  t.ok(hash.startsWith(OWASP_MINIMUM))
  t.equal(await hasher.verify(hash, 'correct horse battery staple'), true)
  t.equal(await hasher.verify(hash, 'correct horse battery staplE'), false)
  t.equal(await hasher.verify('not-a-phc-string', 'x'), false, 'a malformed stored hash is a failed login, not a throw')
  t.equal(await hasher.verify('$2b$10$abcdefghijklmnopqrstuuR1vYzs0n0vY3L6E8mLZ8n0QyQK2WJ2', 'x'), false, 'a bcrypt hash is refused')
  t.equal(await hasher.verifyDummy('anything'), false)
  t.equal(hasher.needsRehash(hash), false)
  t.equal(hasher.needsRehash('$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA'), true)
  t.equal(hasher.needsRehash('garbage'), true, 'an unreadable hash is replaced at the next login')
})

t.test('D5: hashes use the standard PHC parameter order m,t,p, and older m,p,t hashes still verify', async (t) => {
  const hasher = new PasswordHasher({ memoryKiB: 19456, timeCost: 2, parallelism: 1, maxConcurrency: 2, maxQueue: 4 })
  // What node-argon2 writes by itself (ranisalt/node-argon2#559): rows stored before the fix.
  const legacy = await argon2.hash('legacy-password-value', { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 })
  t.match(legacy, /^\$argon2id\$v=19\$m=19456,p=1,t=2\$/, 'the library order this fix exists for')
  t.equal(await hasher.verify(legacy, 'legacy-password-value'), true)
  t.equal(hasher.needsRehash(legacy), false, 'same parameters: no forced rehash')
  const canonical = canonicalPhc(legacy)
  t.match(canonical, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
  t.equal(canonical.split('$').slice(4).join('$'), legacy.split('$').slice(4).join('$'), 'salt and digest unchanged')
  t.equal(await hasher.verify(canonical, 'legacy-password-value'), true)
  t.equal(canonicalPhc(canonical), canonical, 'idempotent')
})

t.test('D5: the semaphore bounds concurrency and refuses work past its queue', async (t) => {
  const gate = new Semaphore(2, 1)
  let active = 0
  let peak = 0
  const releases: Array<() => void> = []
  const task = async (): Promise<string> => {
    active++
    peak = Math.max(peak, active)
    await new Promise<void>((resolve) => { releases.push(resolve) })
    active--
    return 'done'
  }
  const first = gate.run(task)
  const second = gate.run(task)
  const queued = gate.run(task)
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(active, 2, 'two run at once')
  await t.rejects(gate.run(task), QueueFullError, 'the fourth finds the queue full')
  releases.shift()?.()
  t.equal(await first, 'done')
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(active, 2, 'the queued task took the free slot')
  for (const release of releases.splice(0)) release()
  t.same(await Promise.all([second, queued]), ['done', 'done'])
  t.equal(peak, 2, 'never more than the capacity')
  // A failing task frees its slot too.
  await t.rejects(gate.run(async () => { throw new Error('boom') }), /boom/)
  t.equal(await gate.run(async () => 'after'), 'after')
  const strict = new Semaphore(1, 0)
  let unblock = (): void => {}
  const holder = strict.run(async () => await new Promise<void>((resolve) => { unblock = resolve }))
  await t.rejects(strict.run(async () => 'x'), QueueFullError, 'queue of 0: refused at once')
  unblock()
  await holder
})

t.test('D5/F4: past ARGON2_MAX_QUEUE the app answers 503 with Retry-After instead of queueing without end', async (t) => {
  const { app } = await buildTestApp(t, { ARGON2_MAX_CONCURRENCY: '1', ARGON2_MAX_QUEUE: '0' })
  const responses = await Promise.all(Array.from({ length: 6 }, async () => await app.inject({
    method: 'POST', url: '/auth/register', payload: { username: uniqueUsername(), password: 'orbit-lantern-quietly-47-meadow' }
  })))
  const statuses = responses.map((response) => response.statusCode)
  t.ok(statuses.includes(201), `some succeed: ${statuses.join()}`)
  const busy = responses.filter((response) => response.statusCode === 503)
  t.ok(busy.length > 0, 'some are refused')
  for (const response of busy) {
    t.ok(Number(response.headers['retry-after']) > 0, 'Retry-After')
    t.match(response.headers['content-type'], /application\/problem\+json/)
    t.equal(json(response).status, 503)
  }
})
