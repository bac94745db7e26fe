import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { problems } from '../src/schemas/problem.js'

/** The tutorial's demonstration limit: 5 requests a minute per client. */
export const DEMO_LIMIT = { max: 5, timeWindow: '1 minute' }

const rateLimitedRoute: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/rate-limited', {
    config: { rateLimit: DEMO_LIMIT },
    schema: {
      operationId: 'getRateLimited',
      tags: ['examples'],
      summary: 'A rate-limited route',
      description: 'Allows 5 requests per minute per client; the sixth gets a 429 problem with Retry-After and RateLimit-* headers.',
      response: {
        200: Type.Object({ message: Type.Literal('This route is rate limited!') }, { additionalProperties: false, description: 'Within the limit' }),
        ...problems(429)
      }
    }
  }, async () => ({ message: 'This route is rate limited!' as const }))
}

export default rateLimitedRoute
