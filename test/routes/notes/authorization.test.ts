import { randomUUID } from 'node:crypto'
import t from 'tap'
import { buildTestApp, json } from '../../helpers/app.js'
import { onEachDatabase } from '../../helpers/databases.js'
import { bearer, registerAndLogin } from '../../helpers/users.js'
import { encodeCursor } from '../../../src/lib/cursor.js'
import { createNote, listAll, type NoteBody } from './_notes.js'

/** A problem body without the fields that differ per request. */
function comparable (body: Record<string, unknown>): Record<string, unknown> {
  return { ...body, instance: undefined, request_id: undefined }
}

onEachDatabase(t, 'E1: another user\'s note answers 404 on every method, never shows in lists, stays unchanged', async (t, databaseUrl) => {
  const { app } = await buildTestApp(t, { DATABASE_URL: databaseUrl })
  const alice = await registerAndLogin(app, 'alice')
  const mallory = await registerAndLogin(app, 'mallory')
  const secret = await createNote(app, alice.tokens.access_token, 'Alice only', 'the secret body')
  const own = await createNote(app, mallory.tokens.access_token, 'Mallory\'s', 'hers')
  const missing = randomUUID()
  const attacker = bearer(mallory.tokens.access_token)

  const attempts = [
    { method: 'GET' as const, payload: undefined },
    { method: 'PATCH' as const, payload: { title: 'pwned', body: 'pwned' } },
    { method: 'DELETE' as const, payload: undefined }
  ]
  for (const { method, payload } of attempts) {
    const foreign = await app.inject({ method, url: `/notes/${secret.id}`, headers: attacker, ...(payload === undefined ? {} : { payload }) })
    const absent = await app.inject({ method, url: `/notes/${missing}`, headers: attacker, ...(payload === undefined ? {} : { payload }) })
    t.equal(foreign.statusCode, 404, `${method} on another user's note is 404`)
    t.match(foreign.headers['content-type'], /^application\/problem\+json/, `${method}: problem+json`)
    t.same(comparable(json(foreign)), comparable(json(absent)), `${method}: same answer as a note that does not exist`)
    t.notMatch(foreign.body, /Alice only|secret body/, `${method}: nothing of the note leaks`)
  }

  const seenByMallory = await listAll(app, mallory.tokens.access_token, 100)
  t.same(seenByMallory.map((note) => note.id), [own.id], 'Mallory\'s list holds only her own note')
  // A cursor hand-made from Alice's note only positions within Mallory's own notes.
  const forged = encodeCursor({ createdAt: new Date(Date.now() + 60_000).toISOString(), id: secret.id })
  const forgedPage = await app.inject({ method: 'GET', url: `/notes?cursor=${forged}`, headers: attacker })
  t.equal(forgedPage.statusCode, 200)
  t.same(json<{ items: NoteBody[] }>(forgedPage).items.map((note) => note.id), [own.id], 'a forged cursor never reaches another user\'s notes')

  const after = await app.inject({ method: 'GET', url: `/notes/${secret.id}`, headers: bearer(alice.tokens.access_token) })
  t.equal(after.statusCode, 200, 'the note still exists for its owner')
  t.same(json<NoteBody>(after), secret, 'and is unchanged: same title, body and updated_at')
  const alicesList = await listAll(app, alice.tokens.access_token, 100)
  t.same(alicesList.map((note) => note.id), [secret.id], 'Alice\'s list holds only her own note')
})

onEachDatabase(t, 'E1: the owner can do everything the attacker could not', async (t, databaseUrl) => {
  const { app } = await buildTestApp(t, { DATABASE_URL: databaseUrl })
  const alice = await registerAndLogin(app, 'alice')
  const note = await createNote(app, alice.tokens.access_token)
  const headers = bearer(alice.tokens.access_token)
  t.equal((await app.inject({ method: 'GET', url: `/notes/${note.id}`, headers })).statusCode, 200)
  t.equal((await app.inject({ method: 'PATCH', url: `/notes/${note.id}`, headers, payload: { title: 'mine' } })).statusCode, 200)
  t.equal((await app.inject({ method: 'DELETE', url: `/notes/${note.id}`, headers })).statusCode, 204)
  t.equal((await app.inject({ method: 'GET', url: `/notes/${note.id}`, headers })).statusCode, 404, 'gone after delete')
  t.equal((await app.inject({ method: 'DELETE', url: `/notes/${note.id}`, headers })).statusCode, 404, 'a second delete is 404')
})

t.test('B1: every notes operation needs a bearer token', async (t) => {
  const { app } = await buildTestApp(t)
  const id = randomUUID()
  const calls = [
    { method: 'GET' as const, url: '/notes' },
    { method: 'POST' as const, url: '/notes', payload: { title: 'x', body: '' } },
    { method: 'GET' as const, url: `/notes/${id}` },
    { method: 'PATCH' as const, url: `/notes/${id}`, payload: { title: 'x' } },
    { method: 'DELETE' as const, url: `/notes/${id}` }
  ]
  for (const call of calls) {
    const response = await app.inject(call)
    t.equal(response.statusCode, 401, `${call.method} ${call.url.replace(id, '{id}')} without a token is 401`)
    t.match(response.headers['www-authenticate'], /^Bearer realm=/)
    const bad = await app.inject({ ...call, headers: bearer('not.a.token') })
    t.equal(bad.statusCode, 401, `${call.method} with a bad token is 401`)
  }
})

onEachDatabase(t, 'a token whose account was deleted cannot create notes: 401, not 500', async (t, databaseUrl) => {
  const { app } = await buildTestApp(t, { DATABASE_URL: databaseUrl })
  const ghost = await registerAndLogin(app, 'ghost')
  await app.db.deleteFrom('users').where('id', '=', ghost.id).execute()
  const response = await app.inject({ method: 'POST', url: '/notes', headers: bearer(ghost.tokens.access_token), payload: { title: 't', body: '' } })
  t.equal(response.statusCode, 401)
  t.match(response.headers['www-authenticate'], /error="invalid_token"/)
  t.equal((await app.db.selectFrom('notes').select('id').execute()).length, 0, 'no orphan note')
})
