import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database, NoteRow } from '../db/schema.js'
import type { CursorPosition } from '../lib/cursor.js'

/** A note as its owner sees it: the owner column never leaves the repository (E4). */
export type NoteRecord = Omit<NoteRow, 'owner_id'>

const NOTE_COLUMNS = ['id', 'title', 'body', 'created_at', 'updated_at'] as const

/** The owner no longer exists (deleted while its access token still lives). */
export class NoteOwnerMissingError extends Error {
  constructor () {
    super('note owner missing')
    this.name = 'NoteOwnerMissingError'
  }
}

function isForeignKeyViolation (error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return code === 'SQLITE_CONSTRAINT_FOREIGNKEY' || code === '23503'
}

/** The owner already has as many notes as NOTES_PER_USER_MAX allows (I5). */
export class NoteQuotaExceededError extends Error {
  constructor () {
    super('note quota exceeded')
    this.name = 'NoteQuotaExceededError'
  }
}

export interface NewNote {
  title: string
  body: string
}

export interface NoteChanges {
  title?: string
  body?: string
}

export interface NoteListing {
  items: NoteRecord[]
  /** Where the next page starts, or null when this page is the last. */
  next: CursorPosition | null
}

// Every query below filters on owner_id: another user's note is indistinguishable from a missing one (E1).

/**
 * One statement counts and inserts: INSERT ... SELECT ... WHERE (count) < max. Concurrent
 * creates can each see the count below the quota only while none of them has committed, so the
 * quota is exceeded by at most the number of creates racing at that instant (SQLite, with one
 * writer at a time, never exceeds it).
 */
export async function createNote (db: Kysely<Database>, ownerId: string, input: NewNote, maxNotes: number): Promise<NoteRecord> {
  const now = new Date().toISOString()
  const note: NoteRecord = { id: randomUUID(), title: input.title, body: input.body, created_at: now, updated_at: now }
  let inserted: bigint
  try {
    const result = await db.insertInto('notes')
      .columns(['id', 'owner_id', 'title', 'body', 'created_at', 'updated_at'])
      .expression(db.selectNoFrom((eb) => [
        eb.val(note.id).as('id'),
        eb.val(ownerId).as('owner_id'),
        eb.val(note.title).as('title'),
        eb.val(note.body).as('body'),
        eb.val(now).as('created_at'),
        eb.val(now).as('updated_at')
      ]).where((eb) => eb(
        eb.selectFrom('notes').select((count) => count.fn.countAll().as('n')).where('owner_id', '=', ownerId),
        '<',
        maxNotes
      )))
      .executeTakeFirst()
    inserted = result.numInsertedOrUpdatedRows ?? 0n
  } catch (error) {
    if (isForeignKeyViolation(error)) throw new NoteOwnerMissingError()
    throw error
  }
  if (inserted !== 1n) throw new NoteQuotaExceededError()
  return note
}

export async function findNote (db: Kysely<Database>, ownerId: string, id: string): Promise<NoteRecord | undefined> {
  return await db.selectFrom('notes').select(NOTE_COLUMNS)
    .where('owner_id', '=', ownerId).where('id', '=', id)
    .executeTakeFirst()
}

/**
 * Newest first, keyset-paginated on (created_at, id): a page starts strictly after the last
 * item of the previous one, so notes added meanwhile never shift a page (no skips, no repeats),
 * and the (owner_id, created_at, id) index serves it.
 */
export async function listNotes (db: Kysely<Database>, ownerId: string, limit: number, after?: CursorPosition): Promise<NoteListing> {
  let query = db.selectFrom('notes').select(NOTE_COLUMNS).where('owner_id', '=', ownerId)
  if (after !== undefined) {
    query = query.where((eb) => eb.or([
      eb('created_at', '<', after.createdAt),
      eb.and([eb('created_at', '=', after.createdAt), eb('id', '<', after.id)])
    ]))
  }
  // One row more than asked tells whether another page exists.
  const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute()
  const items = rows.slice(0, limit)
  const last = items.at(-1)
  return { items, next: rows.length > limit && last !== undefined ? { createdAt: last.created_at, id: last.id } : null }
}

export async function updateNote (db: Kysely<Database>, ownerId: string, id: string, changes: NoteChanges): Promise<NoteRecord | undefined> {
  return await db.updateTable('notes')
    .set({
      ...(changes.title === undefined ? {} : { title: changes.title }),
      ...(changes.body === undefined ? {} : { body: changes.body }),
      updated_at: new Date().toISOString()
    })
    .where('owner_id', '=', ownerId).where('id', '=', id)
    .returning(NOTE_COLUMNS)
    .executeTakeFirst()
}

/** Returns false when no such note of this owner existed. */
export async function deleteNote (db: Kysely<Database>, ownerId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom('notes').where('owner_id', '=', ownerId).where('id', '=', id).executeTakeFirst()
  return Number(result.numDeletedRows) === 1
}
