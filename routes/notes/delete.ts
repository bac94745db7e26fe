import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { deleteNote } from '../../src/repositories/notes.js'
import { NoteIdParams } from '../../src/schemas/notes.js'
import { problems } from '../../src/schemas/problem.js'
import { noteNotFound, ownerOf } from './_owner.js'

const deleteNoteRoute: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.delete('/:id', {
    config: { auth: 'user' },
    schema: {
      operationId: 'deleteNote',
      tags: ['notes'],
      summary: 'Delete a note',
      description: 'Deletes one of your notes for good. Another user\'s note answers 404 and is left in place.',
      params: NoteIdParams,
      response: { 204: Type.Null({ description: 'Deleted' }), ...problems(404, 429, 503) }
    }
  }, async (request, reply) => {
    const deleted = await deleteNote(fastify.db, ownerOf(request), request.params.id)
    if (!deleted) throw noteNotFound()
    return await reply.code(204).send(null)
  })
}

export default deleteNoteRoute
