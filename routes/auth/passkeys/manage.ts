import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { AuditRow } from '../../../src/audit/audit-event.js'
import { removePasskey } from '../../../src/auth/passkey-removal.js'
import { listPasskeys } from '../../../src/auth/passkeys.js'
import { invalidToken, notFound } from '../../../src/lib/problems.js'
import { authRateLimit } from '../../../src/lib/route-limits.js'
import { renameOwnPasskey } from '../../../src/repositories/passkeys.js'
import { Uuid } from '../../../src/schemas/common.js'
import { PasskeyListSchema, PasskeySchema, RenamePasskeyRequestSchema } from '../../../src/schemas/passkeys.js'
import { problems } from '../../../src/schemas/problem.js'
import { toPasskey } from './_shape.js'

const IdParams = Type.Object({ id: Uuid }, { additionalProperties: false })

const managePasskeysRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('', {
    config: { auth: 'user', rateLimit: authRateLimit(fastify.config) },
    schema: {
      operationId: 'listPasskeys',
      tags: ['passkeys'],
      summary: 'List your passkeys',
      description: 'Your passkeys, newest first, with when each was last used. Not paginated: an account keeps at most 20.',
      response: { 200: Type.Ref(PasskeyListSchema, { description: 'Your passkeys' }), ...problems(429, 503) }
    }
  }, async (request) => {
    const principal = request.principal
    if (principal === null) throw invalidToken()
    return { items: (await listPasskeys(fastify.db, principal.userId)).map(toPasskey) }
  })

  fastify.patch('/:id', {
    config: { auth: 'user', rateLimit: authRateLimit(fastify.config) },
    schema: {
      operationId: 'renamePasskey',
      tags: ['passkeys'],
      summary: 'Rename one of your passkeys',
      description: 'Changes the label of a passkey; nothing else about it can change. Another user\'s passkey answers 404.',
      params: IdParams,
      body: Type.Ref(RenamePasskeyRequestSchema),
      response: { 200: Type.Ref(PasskeySchema, { description: 'The renamed passkey' }), ...problems(400, 404, 413, 415, 429, 503) }
    }
  }, async (request) => {
    const principal = request.principal
    if (principal === null) throw invalidToken()
    const renamed = await renameOwnPasskey(fastify.db, principal.userId, request.params.id, request.body.name)
    await request.audit('passkey_rename', renamed === undefined ? 'failure' : 'success', { user_id: principal.userId, passkey_id: request.params.id, ...(renamed === undefined ? { reason: 'not found or not the caller\'s' } : { name: renamed.name }) })
    if (renamed === undefined) throw notFound('No passkey of yours has this id.')
    return toPasskey(renamed)
  })

  fastify.delete('/:id', {
    // Removing a way into the account is sensitive (K5).
    config: { auth: { role: 'user', stepUp: true }, rateLimit: authRateLimit(fastify.config) },
    schema: {
      operationId: 'deletePasskey',
      tags: ['passkeys'],
      summary: 'Delete one of your passkeys',
      description: 'Removes a passkey: it can no longer log in or confirm a login. Like a password change, every session of the account ends, this one included (a login that was using the passkey at that moment cannot finish either, I1); log in again. Another user\'s passkey answers 404.',
      params: IdParams,
      response: { 204: Type.Null({ description: 'Deleted; every session has ended' }), ...problems(400, 404, 415, 429, 503) }
    }
  }, async (request, reply) => {
    const principal = request.principal
    if (principal === null) throw invalidToken()
    const who = { user_id: principal.userId, session_id: principal.sessionId, passkey_id: request.params.id }
    const audit: AuditRow[] = []
    // One transaction: the row gone, a new authentication epoch, every session ended, the audit row (I1, J1).
    const ended = await removePasskey(fastify.db, principal.userId, request.params.id, (sessions) => {
      audit.push(request.auditRow('passkey_delete', 'success', { ...who, sessions_ended: sessions.length }))
      return audit
    })
    if (ended === undefined) {
      await request.audit('passkey_delete', 'failure', { ...who, reason: 'not found or not the caller\'s' })
      throw notFound('No passkey of yours has this id.')
    }
    fastify.revocations.markRevoked(ended)
    for (const row of audit) request.logAudit(row)
    return await reply.code(204).send(null)
  })
}

export default managePasskeysRoutes
