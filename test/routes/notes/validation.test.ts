import t from 'tap'
import { buildTestApp, json } from '../../helpers/app.js'
import { bearer, registerAndLogin } from '../../helpers/users.js'
import { createNote, listAll, type NoteBody } from './_notes.js'

interface ProblemBody { status: number, errors?: Array<{ pointer: string, location?: string }> }

t.test('E3: id, owner and timestamps in a POST body are rejected (400) and never applied', async (t) => {
  const { app } = await buildTestApp(t)
  const user = await registerAndLogin(app)
  const headers = bearer(user.tokens.access_token)
  const extras: Record<string, unknown> = {
    id: '00000000-0000-4000-8000-000000000000',
    owner_id: user.id,
    owner: user.id,
    user_id: user.id,
    created_at: '2000-01-01T00:00:00.000Z',
    updated_at: '2000-01-01T00:00:00.000Z',
    roles: ['admin']
  }
  for (const [field, value] of Object.entries(extras)) {
    const response = await app.inject({ method: 'POST', url: '/notes', headers, payload: { title: 't', body: 'b', [field]: value } })
    t.equal(response.statusCode, 400, `${field} is refused`)
    t.match(json<ProblemBody>(response).errors, [{ pointer: `/${field}`, location: 'body' }], `the problem points at /${field}`)
  }
  t.same(await listAll(app, user.tokens.access_token, 100), [], 'no note was created by any of them')
})

t.test('E3: PATCH refuses read-only fields and an empty change, leaving the note as it was', async (t) => {
  const { app } = await buildTestApp(t)
  const user = await registerAndLogin(app)
  const headers = bearer(user.tokens.access_token)
  const note = await createNote(app, user.tokens.access_token, 'kept', 'kept')
  const bodies: Array<Record<string, unknown>> = [
    {},
    { id: '00000000-0000-4000-8000-000000000000' },
    { title: 'x', owner_id: 'someone' },
    { title: 'x', created_at: '2000-01-01T00:00:00.000Z' },
    { body: 'x', updated_at: '2000-01-01T00:00:00.000Z' },
    { title: null },
    { title: 42 },
    { body: ['x'] }
  ]
  for (const payload of bodies) {
    const response = await app.inject({ method: 'PATCH', url: `/notes/${note.id}`, headers, payload })
    t.equal(response.statusCode, 400, `PATCH ${JSON.stringify(payload)} is 400`)
    t.match(response.headers['content-type'], /^application\/problem\+json/)
  }
  const after = await app.inject({ method: 'GET', url: `/notes/${note.id}`, headers })
  t.same(json<NoteBody>(after), note, 'the note is unchanged')
})

t.test('title is 1..200 characters and body 0..10,000, counted in characters', async (t) => {
  const { app } = await buildTestApp(t)
  const user = await registerAndLogin(app)
  const headers = bearer(user.tokens.access_token)
  const post = async (payload: unknown): Promise<number> => (await app.inject({ method: 'POST', url: '/notes', headers, payload: payload as Record<string, unknown> })).statusCode
  t.equal(await post({ title: 'a'.repeat(200), body: 'b'.repeat(10_000) }), 201, 'both at their maximum')
  t.equal(await post({ title: '📝'.repeat(200), body: '' }), 201, 'astral characters count once; empty body allowed')
  t.equal(await post({ title: '', body: 'b' }), 400, 'empty title')
  t.equal(await post({ title: 'a'.repeat(201), body: '' }), 400, 'title too long')
  t.equal(await post({ title: 'a', body: 'b'.repeat(10_001) }), 400, 'body too long')
  t.equal(await post({ title: 'a' }), 400, 'body missing')
  t.equal(await post({ body: 'a' }), 400, 'title missing')
  t.equal(await post({ title: 1, body: 'a' }), 400, 'title not a string (no coercion)')
  const note = await createNote(app, user.tokens.access_token)
  const patch = async (payload: Record<string, unknown>): Promise<number> => (await app.inject({ method: 'PATCH', url: `/notes/${note.id}`, headers, payload })).statusCode
  t.equal(await patch({ title: '' }), 400, 'PATCH: empty title')
  t.equal(await patch({ title: 'a'.repeat(201) }), 400, 'PATCH: title too long')
  t.equal(await patch({ body: 'b'.repeat(10_001) }), 400, 'PATCH: body too long')
})

t.test('F3: a body that is not JSON is 415, bad JSON is 400, both as problems', async (t) => {
  const { app } = await buildTestApp(t)
  const user = await registerAndLogin(app)
  const text = await app.inject({ method: 'POST', url: '/notes', headers: { ...bearer(user.tokens.access_token), 'content-type': 'text/plain' }, payload: 'title=x' })
  t.equal(text.statusCode, 415)
  const broken = await app.inject({ method: 'POST', url: '/notes', headers: { ...bearer(user.tokens.access_token), 'content-type': 'application/json' }, payload: '{"title": ' })
  t.equal(broken.statusCode, 400)
  t.match(broken.headers['content-type'], /^application\/problem\+json/)
})
