import { randomUUID } from 'node:crypto'
import t from 'tap'
import { buildTestApp, json } from '../../helpers/app.js'
import { onEachDatabase } from '../../helpers/databases.js'
import { registerAndLogin } from '../../helpers/users.js'
import { decodeCursor, encodeCursor } from '../../../src/lib/cursor.js'
import { createNote, listAll, listPage, type NoteBody, type NotePageBody } from './_notes.js'

onEachDatabase(t, 'pagination: newest first, no skipped or repeated note while notes are added between pages', async (t, databaseUrl) => {
  const { app } = await buildTestApp(t, { DATABASE_URL: databaseUrl })
  const user = await registerAndLogin(app)
  const token = user.tokens.access_token
  const original: NoteBody[] = []
  for (let i = 0; i < 23; i++) original.push(await createNote(app, token, `note ${i}`))

  const seen: string[] = []
  let cursor: string | null = null
  let pages = 0
  do {
    const query: string = `?limit=5${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`
    const response = await listPage(app, token, query)
    t.equal(response.statusCode, 200)
    const page = json<NotePageBody>(response)
    t.ok(page.items.length <= 5, 'never more than limit')
    seen.push(...page.items.map((note) => note.id))
    cursor = page.next_cursor
    pages++
    // Writes between pages: they must neither shift the pages nor show up twice.
    await createNote(app, token, `added during page ${pages}`)
  } while (cursor !== null)

  t.equal(pages, 5, '23 notes in pages of 5')
  t.equal(new Set(seen).size, seen.length, 'no note repeated')
  // Notes made within one millisecond share created_at; the id breaks the tie.
  const expected = [...original].sort((a, b) => a.created_at === b.created_at ? (a.id < b.id ? 1 : -1) : (a.created_at < b.created_at ? 1 : -1))
  t.same(seen, expected.map((note) => note.id), 'every original note exactly once, newest first')
  t.equal((await listAll(app, token, 100)).length, 28, 'the added notes are there on a fresh listing')
})

onEachDatabase(t, 'pagination: notes with the same created_at are ordered by id and none is lost at a page edge', async (t, databaseUrl) => {
  const { app } = await buildTestApp(t, { DATABASE_URL: databaseUrl })
  const user = await registerAndLogin(app)
  // Same millisecond for all of them: only the id tie-break keeps the keyset exact.
  const createdAt = new Date().toISOString()
  const rows = Array.from({ length: 7 }, (_, i) => ({ id: randomUUID(), owner_id: user.id, title: `same ${i}`, body: '', created_at: createdAt, updated_at: createdAt }))
  await app.db.insertInto('notes').values(rows).execute()
  for (const limit of [1, 2, 3, 7, 8]) {
    const ids = (await listAll(app, user.tokens.access_token, limit)).map((note) => note.id)
    t.same(ids, rows.map((row) => row.id).sort().reverse(), `limit ${limit}: all 7, by id descending`)
  }
})

t.test('limit: default 20, 1..100, anything else a 400 problem; next_cursor null on the last page', async (t) => {
  const { app } = await buildTestApp(t)
  const user = await registerAndLogin(app)
  const token = user.tokens.access_token
  const empty = json<NotePageBody>(await listPage(app, token))
  t.same(empty, { items: [], next_cursor: null }, 'no notes: an empty last page')
  for (let i = 0; i < 21; i++) await createNote(app, token)
  const first = json<NotePageBody>(await listPage(app, token))
  t.equal(first.items.length, 20, 'default limit is 20')
  t.type(first.next_cursor, 'string')
  const exact = json<NotePageBody>(await listPage(app, token, '?limit=21'))
  t.equal(exact.items.length, 21)
  t.equal(exact.next_cursor, null, 'a page that holds the rest is the last page')
  t.equal(json<NotePageBody>(await listPage(app, token, '?limit=100')).items.length, 21)
  for (const bad of ['0', '101', '-1', '1.5', 'ten', '']) {
    const response = await listPage(app, token, `?limit=${bad}`)
    t.equal(response.statusCode, 400, `limit=${bad} is 400`)
    t.match(response.headers['content-type'], /^application\/problem\+json/)
  }
  t.equal((await listPage(app, token, '?owner_id=x')).statusCode, 400, 'unknown query parameters are refused')
})

t.test('an invalid cursor is a 400 problem pointing at the cursor', async (t) => {
  const { app } = await buildTestApp(t)
  const user = await registerAndLogin(app)
  const token = user.tokens.access_token
  const valid = encodeCursor({ createdAt: new Date().toISOString(), id: randomUUID() })
  const forged = [
    'garbage!',
    'bm90IGEgY3Vyc29y',
    Buffer.from('v1|yesterday|x').toString('base64url'),
    Buffer.from(`v2|${new Date().toISOString()}|${randomUUID()}`).toString('base64url'),
    Buffer.from(`v1|${new Date().toISOString()}|${randomUUID()}|extra`).toString('base64url'),
    Buffer.from(`v1|2024-13-45T99:99:99.999Z|${randomUUID()}`).toString('base64url'),
    Buffer.from(`v1|${new Date().toISOString()}|' OR 1=1 --`).toString('base64url'),
    `${valid}=`,
    'x'.repeat(513)
  ]
  for (const cursor of forged) {
    const response = await listPage(app, token, `?cursor=${encodeURIComponent(cursor)}`)
    t.equal(response.statusCode, 400, `cursor ${cursor.slice(0, 24)}… is 400`)
    t.match(response.headers['content-type'], /^application\/problem\+json/)
    t.match(json(response), { status: 400, errors: [{ pointer: '/cursor', location: 'query' }] })
  }
  const ok = await listPage(app, token, `?cursor=${valid}`)
  t.equal(ok.statusCode, 200, 'a well-formed cursor for a position with no notes after it is an empty page')
  t.same(json(ok), { items: [], next_cursor: null })
})

t.test('cursors round-trip and are opaque base64url', async (t) => {
  const position = { createdAt: '2026-01-02T03:04:05.678Z', id: randomUUID() }
  const cursor = encodeCursor(position)
  t.match(cursor, /^[A-Za-z0-9_-]+$/)
  t.same(decodeCursor(cursor), position)
  t.equal(decodeCursor(cursor.slice(0, -2)), undefined, 'a truncated cursor is refused')
})
