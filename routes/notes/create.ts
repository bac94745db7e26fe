import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { forbidden, invalidToken } from '../../src/lib/problems.js'
import { createNote, NoteOwnerMissingError, NoteQuotaExceededError } from '../../src/repositories/notes.js'
import { CreateNoteRequestSchema, NoteSchema } from '../../src/schemas/notes.js'
import { problem, problems } from '../../src/schemas/problem.js'
import { ownerOf } from './_owner.js'

const createNoteRoute: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('', {
    config: { auth: 'user' },
    schema: {
      operationId: 'createNote',
      tags: ['notes'],
      summary: 'Create a note',
      description: 'Creates a note owned by you. Only `title` (1..200 characters) and `body` (up to 10,000) are accepted: any other field, `id`, owner or timestamps included, is a 400. The `Location` header names the new note. Each user may keep at most NOTES_PER_USER_MAX notes (1,000 by default); beyond that the answer is 403 with problem type `quota-exceeded`.',
      body: Type.Ref(CreateNoteRequestSchema),
      response: {
        201: Type.Ref(NoteSchema, {
          description: 'The new note',
          headers: { Location: { type: 'string', format: 'uri-reference', maxLength: 64, description: 'The new note\'s URL, /notes/{id}', example: '/notes/5f0c6a2e-8d3b-4c1e-9a57-2b1f0e6d4c3a' } }
        }),
        ...problems(400, 413, 415, 429, 503),
        403: problem('The note quota is reached (problem type quota-exceeded): delete notes first')
      }
    }
  }, async (request, reply) => {
    let note
    try {
      note = await createNote(fastify.db, ownerOf(request), request.body, fastify.config.NOTES_PER_USER_MAX)
    } catch (error) {
      // A token outliving its (deleted) account: that token is no longer valid, not a 500.
      if (error instanceof NoteOwnerMissingError) throw invalidToken()
      if (error instanceof NoteQuotaExceededError) throw forbidden('quota-exceeded', `You have reached the limit of ${fastify.config.NOTES_PER_USER_MAX} notes; delete some to create more.`)
      throw error
    }
    return await reply.code(201).header('location', `/notes/${note.id}`).send(note)
  })
}

export default createNoteRoute
