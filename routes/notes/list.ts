import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { cursorParameter, encodeCursor } from '../../src/lib/cursor.js'
import { listNotes } from '../../src/repositories/notes.js'
import { DEFAULT_PAGE_LIMIT, PageQuery } from '../../src/schemas/common.js'
import { NotePageSchema } from '../../src/schemas/notes.js'
import { problems } from '../../src/schemas/problem.js'
import { ownerOf } from './_owner.js'

const listNotesRoute: FastifyPluginAsyncTypebox = async (fastify) => {
  // '' (not '/') so the route is exactly /notes, without a /notes/ twin in the OpenAPI document.
  fastify.get('', {
    config: { auth: 'user' },
    schema: {
      operationId: 'listNotes',
      tags: ['notes'],
      summary: 'List your notes',
      description: 'Your own notes, newest first, `limit` per page (1..100, default 20). Pass the `next_cursor` of a page as `cursor` to get the next one; it is `null` on the last page. Notes added meanwhile never make a page skip or repeat an item.',
      querystring: PageQuery,
      response: { 200: Type.Ref(NotePageSchema, { description: 'A page of your notes' }), ...problems(400, 429, 503) }
    }
  }, async (request) => {
    const { limit, cursor } = request.query
    const after = cursorParameter(cursor)
    // Ajv has applied the default already; the fallback only satisfies the type.
    const page = await listNotes(fastify.db, ownerOf(request), limit ?? DEFAULT_PAGE_LIMIT, after)
    return { items: page.items, next_cursor: page.next === null ? null : encodeCursor(page.next) }
  })
}

export default listNotesRoute
