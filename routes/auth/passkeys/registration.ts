import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { registerPasskey, registrationOptions, relyingParty } from '../../../src/auth/passkeys.js'
import { conflict, forbidden, invalidToken, validationFailed } from '../../../src/lib/problems.js'
import { authRateLimit } from '../../../src/lib/route-limits.js'
import { CredentialTakenError, MAX_PASSKEYS_PER_USER, PasskeyQuotaExceededError } from '../../../src/repositories/passkeys.js'
import { findUserById } from '../../../src/repositories/users.js'
import { CreationOptionsSchema, PasskeySchema, RegisterPasskeyRequestSchema } from '../../../src/schemas/passkeys.js'
import { problem, problems } from '../../../src/schemas/problem.js'
import { toPasskey } from './_shape.js'

const registrationRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const rp = relyingParty(fastify.config)

  fastify.post('/registration/options', {
    // Adding a passkey adds a way into the account: it needs a recent authentication (K5).
    config: { auth: { role: 'user', stepUp: true }, rateLimit: authRateLimit(fastify.config) },
    schema: {
      operationId: 'passkeyRegistrationOptions',
      tags: ['passkeys'],
      summary: 'Start enrolling a passkey',
      description: 'Creation options for navigator.credentials.create() (or @simplewebauthn/browser startRegistration): a discoverable credential with user verification, EdDSA, ES256 or RS256, none of your passkeys already registered. The challenge is single use and valid for 5 minutes; finish with POST /auth/passkeys. No body is needed.',
      response: { 200: Type.Ref(CreationOptionsSchema, { description: 'Pass these to the browser' }), ...problems(429, 503) }
    }
  }, async (request) => {
    const principal = request.principal
    const user = principal === null ? undefined : await findUserById(fastify.db, principal.userId)
    if (user === undefined || user.disabled === 1) throw invalidToken()
    return await registrationOptions(fastify.db, rp, { id: user.id, username: user.username }, new Date())
  })

  // '' (not '/') so the route is exactly /auth/passkeys, without a twin in the OpenAPI document.
  fastify.post('', {
    config: { auth: 'user', rateLimit: authRateLimit(fastify.config) },
    schema: {
      operationId: 'registerPasskey',
      tags: ['passkeys'],
      summary: 'Finish enrolling a passkey',
      description: `Verifies what the browser returned for the options of POST /auth/passkeys/registration/options (their challenge, issued to you within 5 minutes and not used yet; one of the configured origins; the relying party's id; user verification) and stores the passkey. From then on it can log in alone (POST /auth/passkeys/login). A response that cannot be verified is a 400; a credential already registered (to any account) is a 409; each account keeps at most ${MAX_PASSKEYS_PER_USER} passkeys (403 quota-exceeded beyond).`,
      body: Type.Ref(RegisterPasskeyRequestSchema),
      response: {
        201: Type.Ref(PasskeySchema, { description: 'The passkey is registered' }),
        ...problems(400, 409, 413, 415, 429, 503),
        403: problem(`You already have ${MAX_PASSKEYS_PER_USER} passkeys (problem type quota-exceeded): delete one first`)
      }
    }
  }, async (request, reply) => {
    const principal = request.principal
    if (principal === null) throw invalidToken()
    const who = { user_id: principal.userId, session_id: principal.sessionId }
    let outcome: Awaited<ReturnType<typeof registerPasskey>>
    try {
      outcome = await registerPasskey(fastify.db, rp, principal.userId, request.body, new Date(), (passkey) =>
        request.auditRow('passkey_register', 'success', { ...who, passkey_id: passkey.id, name: passkey.name, device_type: passkey.device_type, backed_up: passkey.backed_up === 1 }))
    } catch (error) {
      if (error instanceof CredentialTakenError) {
        await request.audit('passkey_register', 'failure', { ...who, reason: 'credential already registered' })
        throw conflict('passkey-exists', 'This passkey is already registered.')
      }
      if (error instanceof PasskeyQuotaExceededError) {
        await request.audit('passkey_register', 'failure', { ...who, reason: 'quota exceeded' })
        throw forbidden('quota-exceeded', `You have reached the limit of ${MAX_PASSKEYS_PER_USER} passkeys; delete one to add another.`)
      }
      throw error
    }
    if (outcome.outcome === 'refused') {
      await request.audit('passkey_register', 'failure', { ...who, reason: outcome.reason })
      throw validationFailed([{ pointer: '/response', message: 'could not be verified', location: 'body' }], 'The passkey registration could not be verified; request new options and try again.')
    }
    request.logAudit(outcome.audit)
    return await reply.code(201).send(toPasskey(outcome.passkey))
  })
}

export default registrationRoutes
