import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { AuditEventRow } from '../../src/db/schema.js'
import { cursorParameter, encodeCursor } from '../../src/lib/cursor.js'
import { validationFailed } from '../../src/lib/problems.js'
import { listAuditEventsPage } from '../../src/repositories/audit-events.js'
import { AuditEventPageSchema, AuditEventQuery, type AuditEvent } from '../../src/schemas/audit.js'
import { DEFAULT_PAGE_LIMIT } from '../../src/schemas/common.js'
import { problems } from '../../src/schemas/problem.js'

/**
 * RFC 3339 in, the stored form (toISOString) out, so text comparison orders correctly. A time
 * the schema lets through but no Date holds (a leap second, a year past 9999 once the offset
 * applies) is a 400 naming the parameter.
 */
function canonicalTime (value: string | undefined, name: 'since' | 'until'): string | undefined {
  if (value === undefined) return undefined
  const time = new Date(value)
  const year = time.getUTCFullYear()
  if (Number.isNaN(time.getTime()) || year < 1 || year > 9999) {
    throw validationFailed([{ pointer: `/${name}`, message: 'is not a time this API can compare (RFC 3339, years 0001 to 9999)', location: 'query' }], `The ${name} parameter is not a usable time.`)
  }
  return time.toISOString()
}

function toAuditEvent (row: AuditEventRow): AuditEvent {
  const details: unknown = JSON.parse(row.details)
  return {
    id: row.id,
    at: row.at,
    type: row.type,
    outcome: row.outcome as AuditEvent['outcome'],
    actor_id: row.actor_id,
    subject_id: row.subject_id,
    session_id: row.session_id,
    ip: row.ip,
    user_agent: row.user_agent,
    request_id: row.request_id,
    client_request_id: row.client_request_id,
    count: row.count,
    details: details !== null && typeof details === 'object' && !Array.isArray(details) ? details as Record<string, unknown> : {}
  }
}

const adminAuditEventsRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/audit-events', {
    config: { auth: 'admin' },
    schema: {
      operationId: 'adminListAuditEvents',
      tags: ['admin'],
      summary: 'Read the audit trail',
      description: 'Security events stored in the database whatever LOG_LEVEL says, newest first, a page at a time: logins and their failures, throttling, refreshes and reuse detection, logouts, password changes, ended sessions, account locks, administrator actions, and denials (rejected tokens, refused roles), which are aggregated per actor (or address), type and minute with a `count`. Filter by `type`, `user_id` (acting or acted upon), `since` and `until`. Rows older than AUDIT_RETENTION_DAYS are pruned. Needs the admin role.',
      querystring: AuditEventQuery,
      response: { 200: Type.Ref(AuditEventPageSchema, { description: 'A page of audit events' }), ...problems(400, 429, 503) }
    }
  }, async (request) => {
    const { limit, cursor, type, user_id: userId, since, until } = request.query
    const after = cursorParameter(cursor)
    const { rows, hasMore } = await listAuditEventsPage(fastify.db, { type, userId, since: canonicalTime(since, 'since'), until: canonicalTime(until, 'until') }, limit ?? DEFAULT_PAGE_LIMIT, after)
    const last = rows.at(-1)
    return {
      items: rows.map(toAuditEvent),
      next_cursor: hasMore && last !== undefined ? encodeCursor({ createdAt: last.at, id: last.id }) : null
    }
  })
}

export default adminAuditEventsRoutes
