import { randomUUID } from 'node:crypto'
import type { Insertable } from 'kysely'
import type { AuditEventsTable } from '../db/schema.js'

export type AuditOutcome = 'success' | 'failure' | 'denied' | 'detected'

/** What a caller says about an event; the well-known keys become columns, the rest `details`. */
export interface AuditFields {
  /** Who acted: the signed-in user, or the account a login attempt named. */
  user_id?: string | null
  /** The account acted upon when it is not the actor (an administrator's target). */
  target_user_id?: string | null
  username?: string | null
  session_id?: string | null
  reason?: string
  [key: string]: unknown
}

/** Where a request came from, as the audit trail records it (J3: the client's request id is kept apart). */
export interface AuditOrigin {
  ip: string | null
  userAgent: string | null
  /** Ours, or a trusted proxy's. */
  requestId: string
  /** What the client sent as X-Request-Id when it is not trusted, else null. */
  clientRequestId: string | null
}

export type AuditRow = Insertable<AuditEventsTable> & { id: string, at: string, details: string }

/** Details are bounded: a hostile value cannot make one audit row huge. */
const MAX_DETAILS_LENGTH = 4096

function boundedDetails (details: Record<string, unknown>): string {
  const text = JSON.stringify(details)
  return text.length <= MAX_DETAILS_LENGTH ? text : JSON.stringify({ truncated: true, keys: Object.keys(details).slice(0, 50) })
}

/** One audit row for the database from what a route said. */
export function auditRow (type: string, outcome: AuditOutcome, fields: AuditFields, origin: AuditOrigin, at = new Date()): AuditRow {
  const { user_id: actorId, target_user_id: targetId, session_id: sessionId, ...details } = fields
  return {
    id: randomUUID(),
    at: at.toISOString(),
    type,
    outcome,
    actor_id: actorId ?? null,
    subject_id: targetId ?? actorId ?? null,
    session_id: sessionId ?? null,
    ip: origin.ip,
    user_agent: origin.userAgent,
    request_id: origin.requestId,
    client_request_id: origin.clientRequestId,
    details: boundedDetails(details),
    count: 1,
    bucket: null
  }
}
