import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { buildTestApp, json } from '../../helpers/app.js'
import { onEachDatabase } from '../../helpers/databases.js'
import { bearer, registerAndLogin } from '../../helpers/users.js'
import type { NoteBody } from './_notes.js'

const NOTE_KEYS = ['body', 'created_at', 'id', 'title', 'updated_at']
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/

onEachDatabase(t, 'notes CRUD: create (201 + Location), read, patch (updated_at moves), delete (204)', async (t, databaseUrl) => {
  const { app } = await buildTestApp(t, { DATABASE_URL: databaseUrl })
  const user = await registerAndLogin(app, 'writer')
  const headers = bearer(user.tokens.access_token)

  const created = await app.inject({ method: 'POST', url: '/notes', headers, payload: { title: 'Groceries', body: 'Milk, eggs' } })
  t.equal(created.statusCode, 201)
  const note = json<NoteBody>(created)
  t.match(note.id, UUID, 'a random (v4) UUID')
  t.equal(created.headers.location, `/notes/${note.id}`, 'Location names the new note')
  t.same(Object.keys(note).sort(), NOTE_KEYS, 'E4: exactly the Note fields, no owner or internal column')
  t.match(note.created_at, RFC3339_UTC)
  t.equal(note.updated_at, note.created_at, 'a new note was last updated when created')
  t.same({ title: note.title, body: note.body }, { title: 'Groceries', body: 'Milk, eggs' })

  const read = await app.inject({ method: 'GET', url: created.headers.location as string, headers })
  t.equal(read.statusCode, 200)
  t.same(json(read), note, 'GET returns what POST returned')

  await sleep(5)
  const patched = await app.inject({ method: 'PATCH', url: `/notes/${note.id}`, headers, payload: { title: 'Groceries (weekend)' } })
  t.equal(patched.statusCode, 200)
  const changed = json<NoteBody>(patched)
  t.equal(changed.title, 'Groceries (weekend)')
  t.equal(changed.body, 'Milk, eggs', 'a field left out of the PATCH is kept')
  t.equal(changed.created_at, note.created_at, 'created_at never moves')
  t.ok(changed.updated_at > note.updated_at, 'updated_at moves forward on change')
  t.same(Object.keys(changed).sort(), NOTE_KEYS)

  const bodyOnly = await app.inject({ method: 'PATCH', url: `/notes/${note.id}`, headers, payload: { body: '' } })
  t.equal(bodyOnly.statusCode, 200)
  t.equal(json<NoteBody>(bodyOnly).body, '', 'the body may be emptied')
  t.equal(json<NoteBody>(bodyOnly).title, 'Groceries (weekend)')

  const reread = await app.inject({ method: 'GET', url: `/notes/${note.id}`, headers })
  t.same(json(reread), json(bodyOnly), 'changes are stored')

  const deleted = await app.inject({ method: 'DELETE', url: `/notes/${note.id}`, headers })
  t.equal(deleted.statusCode, 204)
  t.equal(deleted.body, '', '204 has no body')
  const gone = await app.inject({ method: 'GET', url: `/notes/${note.id}`, headers })
  t.equal(gone.statusCode, 404)
  t.match(json(gone), { status: 404, type: 'urn:secure-api:problem:not-found' })
})

t.test('a malformed note id names no note: 404, like a missing one', async (t) => {
  const { app } = await buildTestApp(t)
  const user = await registerAndLogin(app)
  for (const method of ['GET', 'PATCH', 'DELETE'] as const) {
    const response = await app.inject({ method, url: '/notes/1', headers: bearer(user.tokens.access_token), ...(method === 'PATCH' ? { payload: { title: 'x' } } : {}) })
    t.equal(response.statusCode, 404, `${method} /notes/1`)
    t.match(json(response), { status: 404, type: 'urn:secure-api:problem:not-found' })
  }
})
