import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { findNote } from '../../src/repositories/notes.js'
import { NoteIdParams, NoteSchema } from '../../src/schemas/notes.js'
import { problems } from '../../src/schemas/problem.js'
import { noteNotFound, ownerOf } from './_owner.js'

const readNoteRoute: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/:id', {
    config: { auth: 'user' },
    schema: {
      operationId: 'getNote',
      tags: ['notes'],
      summary: 'Get a note',
      description: 'One of your notes. Another user\'s note answers 404, exactly like a missing one.',
      params: NoteIdParams,
      response: { 200: Type.Ref(NoteSchema, { description: 'The note' }), ...problems(404, 429, 503) }
    }
  }, async (request) => {
    const note = await findNote(fastify.db, ownerOf(request), request.params.id)
    if (note === undefined) throw noteNotFound()
    return note
  })
}

export default readNoteRoute
