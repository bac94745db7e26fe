import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { notFound } from '../../src/lib/problems.js'
import { problems } from '../../src/schemas/problem.js'

export const JwkSchema = Type.Object({
  kty: Type.String({ maxLength: 16 }),
  kid: Type.String({ maxLength: 64 }),
  alg: Type.String({ maxLength: 16 }),
  use: Type.Literal('sig'),
  crv: Type.Optional(Type.String({ maxLength: 16 })),
  x: Type.Optional(Type.String({ maxLength: 64 })),
  y: Type.Optional(Type.String({ maxLength: 64 })),
  n: Type.Optional(Type.String({ maxLength: 1024 })),
  e: Type.Optional(Type.String({ maxLength: 16 }))
}, { $id: 'Jwk', title: 'Jwk', description: 'A public signing key (RFC 7517)', additionalProperties: false })

export const JwksSchema = Type.Object({ keys: Type.Array(Type.Ref(JwkSchema), { maxItems: 16 }) }, { $id: 'Jwks', title: 'Jwks', additionalProperties: false })

export default async function jwksRoute (fastify: FastifyInstance): Promise<void> {
  fastify.addSchema(JwkSchema)
  fastify.addSchema(JwksSchema)
  fastify.withTypeProvider<TypeBoxTypeProvider>().get('/jwks.json', {
    schema: {
      operationId: 'getJwks',
      tags: ['keys'],
      summary: 'Public signing keys',
      description: 'Every public key that may verify an access token now: the current signing key, keys about to sign after a rotation, and older keys until retired. Answers 404 under HS256, which has no public key.',
      response: { 200: Type.Ref(JwksSchema, { description: 'The JSON Web Key Set' }), ...problems(404, 429) }
    }
  }, async (_request, reply) => {
    const keys = fastify.keyring.jwks()
    if (keys === undefined) throw notFound('This server signs with HS256; it has no public keys.')
    // Short caching: verifiers refetch soon enough to see a rotation before the new key signs.
    return await reply.header('cache-control', `public, max-age=${fastify.config.KEY_REFRESH_INTERVAL}`).send({ keys: keys as Array<{ kty: string, kid: string, alg: string, use: 'sig' }> })
  })
}
