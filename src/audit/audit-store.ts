import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import type { AuditRow } from './audit-event.js'

/** Writes audit rows with whatever executor the change uses: inside its transaction when there is one (J1). */
export async function insertAuditRows (db: Kysely<Database>, rows: AuditRow[]): Promise<void> {
  if (rows.length === 0) return
  await db.insertInto('audit_events').values(rows).execute()
}

/**
 * Adds `row.count` to the aggregated row of its bucket, creating it if needed. The unique
 * bucket makes concurrent writers (instances) land on one row (J2).
 */
export async function upsertAggregatedRow (db: Kysely<Database>, row: AuditRow & { bucket: string, count: number }): Promise<void> {
  await db.insertInto('audit_events').values(row)
    .onConflict((conflict) => conflict.column('bucket').doUpdateSet((eb) => ({
      count: eb('audit_events.count', '+', eb.ref('excluded.count'))
    })))
    .execute()
}
