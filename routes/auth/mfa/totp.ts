import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { confirmTotp, enrolTotp } from '../../../src/auth/factor-enrolment.js'
import { invalidToken, notFound, tooManyFactors, validationFailed } from '../../../src/lib/problems.js'
import { authRateLimit } from '../../../src/lib/route-limits.js'
import { findUserById } from '../../../src/repositories/users.js'
import { Uuid } from '../../../src/schemas/common.js'
import { RecoveryCodesSchema, TotpConfirmRequestSchema, TotpEnrolmentSchema } from '../../../src/schemas/mfa.js'
import { problems } from '../../../src/schemas/problem.js'

const totpRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { config } = fastify

  fastify.post('/totp', {
    // Adding a factor needs a recent authentication (K5).
    config: { auth: { role: 'user', stepUp: true }, rateLimit: authRateLimit(config) },
    schema: {
      operationId: 'enrolTotp',
      tags: ['mfa'],
      summary: 'Start adding an authenticator app (TOTP)',
      description: 'Creates an unconfirmed TOTP factor (RFC 6238: SHA-1, 6 digits, 30 s) and returns its secret once, as base32 and as an otpauth:// URI for a QR code. Nothing changes at login until you confirm it with a code (POST /auth/mfa/totp/{factor_id}/confirm). A new enrolment replaces an unconfirmed earlier one; at most 5 confirmed apps per account (409).',
      response: { 201: Type.Ref(TotpEnrolmentSchema, { description: 'The new, unconfirmed factor' }), ...problems(409, 429, 503) }
    }
  }, async (request, reply) => {
    const principal = request.principal
    const user = principal === null ? undefined : await findUserById(fastify.db, principal.userId)
    if (principal === null || user === undefined || user.disabled === 1) throw invalidToken()
    const enrolment = await enrolTotp(fastify.db, fastify.factorSecrets, user, config.JWT_ISSUER, new Date())
    if (enrolment === undefined) throw tooManyFactors()
    await request.audit('mfa_factor_enrol', 'success', { user_id: user.id, session_id: principal.sessionId, factor_id: enrolment.factorId, type: 'totp' })
    return await reply.code(201).header('cache-control', 'no-store')
      .send({ factor_id: enrolment.factorId, secret: enrolment.secret, otpauth_uri: enrolment.uri })
  })

  fastify.post('/totp/:factor_id/confirm', {
    config: { auth: 'user', rateLimit: authRateLimit(config) },
    schema: {
      operationId: 'confirmTotp',
      tags: ['mfa'],
      summary: 'Confirm an authenticator app with a code',
      description: 'Proves the app holds the secret: from now on every login of this account needs a second factor. Answers a new set of 10 recovery codes, shown this once (any earlier set stops working). A wrong code is a 400 naming /code; an unknown, foreign or already confirmed factor is a 404.',
      params: Type.Object({ factor_id: Uuid }, { additionalProperties: false }),
      body: Type.Ref(TotpConfirmRequestSchema),
      response: { 200: Type.Ref(RecoveryCodesSchema, { description: 'Confirmed; your recovery codes' }), ...problems(400, 404, 413, 415, 429, 503) }
    }
  }, async (request, reply) => {
    const principal = request.principal
    if (principal === null) throw invalidToken()
    const factorId = request.params.factor_id
    const who = { user_id: principal.userId, session_id: principal.sessionId, factor_id: factorId }
    const result = await confirmTotp(fastify.db, fastify.factorSecrets, principal.userId, factorId, request.body.code,
      () => [request.auditRow('mfa_factor_confirm', 'success', { ...who, type: 'totp' }), request.auditRow('recovery_codes_issued', 'success', who)], new Date())
    if (result.outcome === 'not-found') throw notFound('No unconfirmed factor of yours has this id.')
    if (result.outcome === 'wrong-code') {
      await request.audit('mfa_factor_confirm', 'failure', { ...who, reason: 'wrong code' })
      throw validationFailed([{ pointer: '/code', message: 'is not the current code of this authenticator', location: 'body' }], 'The code does not match; check the app and the clock of the device.')
    }
    return await reply.header('cache-control', 'no-store').send({ recovery_codes: result.recoveryCodes })
  })
}

export default totpRoutes
