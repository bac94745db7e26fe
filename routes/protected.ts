import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { Uuid } from '../src/schemas/common.js'
import { problems } from '../src/schemas/problem.js'

export const ProtectedResponseSchema = Type.Object({
  message: Type.Literal('This is a protected route!'),
  user: Type.Object({ id: Uuid, username: Type.String({ maxLength: 64 }) }, { additionalProperties: false })
}, { $id: 'ProtectedResponse', title: 'ProtectedResponse', additionalProperties: false })

/** The tutorial's protected route: it answers only with a valid, unrevoked access token. */
const protectedRoute: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.addSchema(ProtectedResponseSchema)
  // A synchronous handler: nothing to wait for once the guard has admitted the token (issue 10).
  fastify.get('/protected', {
    config: { auth: 'user' },
    schema: {
      operationId: 'getProtected',
      tags: ['examples'],
      summary: 'A protected route',
      description: 'Answers only with a valid bearer access token; costs no database read.',
      response: { 200: Type.Ref(ProtectedResponseSchema, { description: 'You are authenticated' }), ...problems(429) }
    }
  }, (request) => {
    const principal = request.principal
    return { message: 'This is a protected route!' as const, user: { id: principal?.userId ?? '', username: principal?.username ?? '' } }
  })
}

export default protectedRoute
