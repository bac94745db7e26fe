import { Type, type Static } from '@sinclair/typebox'
import { Timestamp, Uuid } from './common.js'

export const NOTE_TITLE_MAX_LENGTH = 200
export const NOTE_BODY_MAX_LENGTH = 10_000

const Title = Type.String({ minLength: 1, maxLength: NOTE_TITLE_MAX_LENGTH, description: '1..200 characters', examples: ['Groceries'] })
const Body = Type.String({ maxLength: NOTE_BODY_MAX_LENGTH, description: 'Up to 10,000 characters; may be empty', examples: ['Milk, eggs, flour'] })

export const NoteSchema = Type.Object({
  id: Uuid,
  title: Title,
  body: Body,
  created_at: Timestamp,
  updated_at: Timestamp
}, { $id: 'Note', title: 'Note', description: 'A note, visible to its owner only', additionalProperties: false })

// Only the writable fields: id, owner and timestamps in a body are a 400, never applied (E3).
export const CreateNoteRequestSchema = Type.Object({
  title: Title,
  body: Body
}, {
  $id: 'CreateNoteRequest',
  title: 'CreateNoteRequest',
  description: 'A new note',
  additionalProperties: false,
  examples: [{ title: 'Groceries', body: 'Milk, eggs, flour' }]
})

export const UpdateNoteRequestSchema = Type.Object({
  title: Type.Optional(Title),
  body: Type.Optional(Body)
}, {
  $id: 'UpdateNoteRequest',
  title: 'UpdateNoteRequest',
  description: 'The fields to change: at least one of title and body',
  additionalProperties: false,
  minProperties: 1,
  examples: [{ title: 'Groceries (weekend)' }, { body: 'Milk, eggs, flour, coffee' }]
})

export const NotePageSchema = Type.Object({
  items: Type.Array(Type.Ref(NoteSchema), { maxItems: 100 }),
  next_cursor: Type.Union([Type.String({ maxLength: 512, pattern: '^[A-Za-z0-9_-]+$' }), Type.Null()], { description: 'Pass as ?cursor= for the next page; null on the last page' })
}, { $id: 'NotePage', title: 'NotePage', description: 'A page of your notes, newest first', additionalProperties: false })

export const NoteIdParams = Type.Object({ id: Uuid }, { additionalProperties: false })

export type Note = Static<typeof NoteSchema>
export type CreateNoteRequest = Static<typeof CreateNoteRequestSchema>
export type UpdateNoteRequest = Static<typeof UpdateNoteRequestSchema>
export type NotePage = Static<typeof NotePageSchema>
