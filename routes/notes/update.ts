import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { updateNote } from '../../src/repositories/notes.js'
import { NoteIdParams, NoteSchema, UpdateNoteRequestSchema } from '../../src/schemas/notes.js'
import { problems } from '../../src/schemas/problem.js'
import { noteNotFound, ownerOf } from './_owner.js'

const updateNoteRoute: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.patch('/:id', {
    config: { auth: 'user' },
    schema: {
      operationId: 'updateNote',
      tags: ['notes'],
      summary: 'Change a note',
      description: 'Changes the `title`, the `body` or both of one of your notes and moves `updated_at`. An empty object, or any other field, is a 400. Another user\'s note answers 404 and is left unchanged.',
      params: NoteIdParams,
      body: Type.Ref(UpdateNoteRequestSchema),
      response: { 200: Type.Ref(NoteSchema, { description: 'The changed note' }), ...problems(400, 404, 413, 415, 429, 503) }
    }
  }, async (request) => {
    const note = await updateNote(fastify.db, ownerOf(request), request.params.id, request.body)
    if (note === undefined) throw noteNotFound()
    return note
  })
}

export default updateNoteRoute
