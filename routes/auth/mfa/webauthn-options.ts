import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { passkeyOptionsForUser, relyingParty } from '../../../src/auth/passkeys.js'
import { invalidSecondFactor } from '../../../src/lib/problems.js'
import { authRateLimit } from '../../../src/lib/route-limits.js'
import { findLiveMfaChallenge } from '../../../src/repositories/mfa-challenges.js'
import { MfaWebauthnOptionsRequestSchema } from '../../../src/schemas/mfa.js'
import { RequestOptionsSchema } from '../../../src/schemas/passkeys.js'
import { problems } from '../../../src/schemas/problem.js'

const mfaWebauthnOptionsRoute: FastifyPluginAsyncTypebox = async (fastify) => {
  const rp = relyingParty(fastify.config)

  fastify.post('/webauthn/options', {
    config: { rateLimit: authRateLimit(fastify.config) },
    schema: {
      operationId: 'mfaWebauthnOptions',
      tags: ['mfa'],
      summary: 'Passkey options for the MFA step',
      description: 'For a login that answered an MfaChallenge with `webauthn` among its methods: request options limited to that account\'s passkeys, for POST /auth/mfa/verify {mfa_token, webauthn}. The challenge is single use, bound to the account, and lives 5 minutes. A bad, used or expired mfa_token is a 401.',
      body: Type.Ref(MfaWebauthnOptionsRequestSchema),
      response: { 200: Type.Ref(RequestOptionsSchema, { description: 'Pass to navigator.credentials.get()' }), ...problems(400, 401, 413, 415, 429, 503) }
    }
  }, async (request, reply) => {
    const challenge = await findLiveMfaChallenge(fastify.db, request.body.mfa_token, new Date())
    if (challenge === undefined) {
      request.securityWarning('mfa_invalid_token', {})
      throw invalidSecondFactor()
    }
    return await reply.header('cache-control', 'no-store').send(await passkeyOptionsForUser(fastify.db, rp, challenge.user_id, new Date()))
  })
}

export default mfaWebauthnOptionsRoute
