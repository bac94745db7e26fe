import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { findUserById } from '../../src/repositories/users.js'
import { invalidToken } from '../../src/lib/problems.js'
import { authRateLimit } from '../../src/lib/route-limits.js'
import { toUser } from '../../src/lib/users.js'
import { problems } from '../../src/schemas/problem.js'
import { UserSchema } from '../../src/schemas/users.js'

const meRoute: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/me', {
    config: { auth: 'user', rateLimit: authRateLimit(fastify.config) },
    schema: {
      operationId: 'getCurrentUser',
      tags: ['auth'],
      summary: 'Who am I',
      description: 'The account the access token belongs to, read fresh from the database.',
      response: { 200: Type.Ref(UserSchema, { description: 'Your account' }), ...problems(429, 503) }
    }
  }, async (request) => {
    const user = request.principal === null ? undefined : await findUserById(fastify.db, request.principal.userId)
    // A token for an account that no longer exists (or was disabled) is no longer valid.
    if (user === undefined || user.disabled === 1) throw invalidToken()
    return toUser(user)
  })
}

export default meRoute
