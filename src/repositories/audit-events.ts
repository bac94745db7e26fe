import type { Kysely } from 'kysely'
import type { AuditEventRow, Database } from '../db/schema.js'
import type { CursorPosition } from '../lib/cursor.js'

export interface AuditFilter {
  type?: string
  userId?: string
  since?: string
  until?: string
}

/** One page of the audit trail, newest first, keyset-paginated on (at, id); fetches limit + 1 to know if more follow. */
export async function listAuditEventsPage (db: Kysely<Database>, filter: AuditFilter, limit: number, after?: CursorPosition): Promise<{ rows: AuditEventRow[], hasMore: boolean }> {
  let query = db.selectFrom('audit_events').selectAll()
  if (filter.type !== undefined) query = query.where('type', '=', filter.type)
  if (filter.userId !== undefined) {
    const userId = filter.userId
    query = query.where((eb) => eb.or([eb('actor_id', '=', userId), eb('subject_id', '=', userId)]))
  }
  if (filter.since !== undefined) query = query.where('at', '>=', filter.since)
  if (filter.until !== undefined) query = query.where('at', '<', filter.until)
  if (after !== undefined) {
    query = query.where((eb) => eb.or([
      eb('at', '<', after.createdAt),
      eb.and([eb('at', '=', after.createdAt), eb('id', '<', after.id)])
    ]))
  }
  const rows = await query.orderBy('at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute()
  return { rows: rows.slice(0, limit), hasMore: rows.length > limit }
}
