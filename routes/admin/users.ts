import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { AuditRow } from '../../src/audit/audit-event.js'
import type { UserRow } from '../../src/db/schema.js'
import { cursorParameter, encodeCursor } from '../../src/lib/cursor.js'
import { conflict, insufficientScope, notFound } from '../../src/lib/problems.js'
import { changeUserAsAdmin } from '../../src/auth/admin-changes.js'
import { applyCredentialChange } from '../../src/auth/end-sessions.js'
import { findUserById, listUsersPage, parseRoles, type Role } from '../../src/repositories/users.js'
import { emailOf } from '../../src/lib/users.js'
import { AdminUserPageSchema, AdminUserUpdateSchema } from '../../src/schemas/admin.js'
import { DEFAULT_PAGE_LIMIT, PageQuery, Uuid } from '../../src/schemas/common.js'
import { problems } from '../../src/schemas/problem.js'
import { AdminUserSchema } from '../../src/schemas/users.js'

interface AdminUser {
  id: string
  username: string
  roles: Role[]
  created_at: string
  email: string | null
  email_verified: boolean
  disabled: boolean
  last_login_at: string | null
}

/** An account as administrators see it: still never the password hash (E4). */
function toAdminUser (row: UserRow): AdminUser {
  return {
    id: row.id,
    username: row.username,
    roles: parseRoles(row.roles),
    created_at: row.created_at,
    ...emailOf(row),
    disabled: row.disabled === 1,
    last_login_at: row.last_login_at
  }
}

const UserIdParams = Type.Object({ id: Uuid }, { additionalProperties: false })

const adminUsersRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/users', {
    config: { auth: 'admin' },
    schema: {
      operationId: 'adminListUsers',
      tags: ['admin'],
      summary: 'List accounts',
      description: 'Every account, oldest first, a page at a time: pass `next_cursor` back as `cursor` until it is null. Needs the admin role.',
      querystring: PageQuery,
      response: { 200: Type.Ref(AdminUserPageSchema, { description: 'A page of accounts' }), ...problems(400, 429, 503) }
    }
  }, async (request) => {
    const { limit, cursor } = request.query
    const after = cursorParameter(cursor)
    const { rows, hasMore } = await listUsersPage(fastify.db, limit ?? DEFAULT_PAGE_LIMIT, after)
    const last = rows.at(-1)
    return {
      items: rows.map(toAdminUser),
      next_cursor: hasMore && last !== undefined ? encodeCursor({ createdAt: last.created_at, id: last.id }) : null
    }
  })

  fastify.patch('/users/:id', {
    config: { auth: 'admin' },
    schema: {
      operationId: 'adminUpdateUser',
      tags: ['admin'],
      summary: 'Change roles or disable an account',
      description: 'Sets the roles (the complete new set) and/or the disabled flag. Disabling ends every session of the user at once and refuses their logins and refreshes. Removing a role also ends every session, so a demotion takes effect immediately; a granted role reaches the tokens at the next refresh (within ACCESS_TOKEN_TTL). An administrator cannot remove their own admin role or disable themselves (409 cannot-demote-self), and the last active administrator cannot be demoted or disabled by anyone (409 last-admin), also when two administrators demote each other at once. The caller\'s own roles are read again for every admin operation, so an administrator demoted a moment ago can change nothing. Needs the admin role.',
      params: UserIdParams,
      body: Type.Ref(AdminUserUpdateSchema),
      response: { 200: Type.Ref(AdminUserSchema, { description: 'The account after the change' }), ...problems(400, 404, 409, 413, 415, 429, 503) }
    }
  }, async (request) => {
    const admin = request.principal
    const { id } = request.params
    const { roles, disabled } = request.body
    if (admin === null) throw notFound('No account has this id.')
    const who = { user_id: admin.userId, username: admin.username, target_user_id: id }
    const changes = { ...(roles === undefined ? {} : { roles }), ...(disabled === undefined ? {} : { disabled }) }
    const result = await changeUserAsAdmin(fastify.db, fastify.database.dialect, admin.userId, id, { roles, disabled }, (target, sessionsEnded) =>
      request.auditRow('admin_user_update', 'success', { ...who, target_username: target.username, changes, sessions_ended: sessionsEnded }))
    switch (result.outcome) {
      case 'not-found':
        throw notFound('No account has this id.')
      case 'actor-not-admin':
        await request.audit('admin_user_update', 'denied', { ...who, reason: 'the caller is no longer an active administrator' })
        throw insufficientScope('admin')
      case 'self-demotion':
        await request.audit('admin_user_update', 'denied', { ...who, reason: 'an administrator cannot demote or disable themselves' })
        throw conflict('cannot-demote-self', 'You cannot remove your own admin role or disable your own account; ask another administrator.')
      case 'last-admin':
        await request.audit('admin_user_update', 'denied', { ...who, reason: 'the last active administrator cannot be demoted or disabled' })
        throw conflict('last-admin', 'This is the last active administrator: make another account an administrator first.')
      case 'updated':
        fastify.revocations.markRevoked(result.endedSessions)
        request.logAudit(result.audit)
        return toAdminUser(result.user)
    }
  })

  fastify.delete('/users/:id/sessions', {
    config: { auth: 'admin' },
    schema: {
      operationId: 'adminEndUserSessions',
      tags: ['admin'],
      summary: 'End every session of an account',
      description: 'Ends every session of the user: their refresh tokens stop working at once, their access tokens at once on this instance and within REVOCATION_POLL_INTERVAL seconds on the others. The account stays usable: they can log in again. Needs the admin role.',
      params: UserIdParams,
      response: { 204: Type.Null({ description: 'Every session of the user has ended' }), ...problems(400, 404, 429, 503) }
    }
  }, async (request, reply) => {
    const admin = request.principal
    const { id } = request.params
    const target = await findUserById(fastify.db, id)
    if (target === undefined || admin === null) throw notFound('No account has this id.')
    const audit: AuditRow[] = []
    // A new epoch too: a login of the user that verified its password just before cannot finish (I1).
    const ended = await applyCredentialChange(fastify.db, id, 'ended_by_admin', (sessions) => {
      audit.push(request.auditRow('admin_end_sessions', 'success', { user_id: admin.userId, username: admin.username, target_user_id: id, target_username: target.username, sessions_ended: sessions.length }))
      return audit
    }) ?? []
    fastify.revocations.markRevoked(ended)
    for (const row of audit) request.logAudit(row)
    return await reply.code(204).send(null)
  })
}

export default adminUsersRoutes
