import { sql, type Kysely } from 'kysely'
import type { AuditRow } from '../audit/audit-event.js'
import { insertAuditRows } from '../audit/audit-store.js'
import type { Dialect } from '../db/database.js'
import type { Database, UserRow } from '../db/schema.js'
import { countActiveAdmins, findUserById, parseRoles, updateUser, type UserChanges } from '../repositories/users.js'
import { AbortChange, endEverySessionWithin } from './end-sessions.js'

/** Every change to who is an active administrator takes this PostgreSQL lock first (I2). */
const ADMIN_CHANGES_LOCK = 0x5ec0_a0d1

export type AdminChangeResult =
  | { outcome: 'updated', user: UserRow, endedSessions: string[], audit: AuditRow }
  | { outcome: 'not-found' }
  | { outcome: 'actor-not-admin' }
  | { outcome: 'self-demotion' }
  | { outcome: 'last-admin' }

function isActiveAdmin (user: UserRow | undefined): boolean {
  return user !== undefined && user.disabled === 0 && parseRoles(user.roles).includes('admin')
}

/**
 * An administrator changes an account, atomically (I2):
 * - the actor's own roles and state are read again inside the transaction, so an admin demoted
 *   or disabled a moment ago changes nothing, whatever their token says;
 * - the last active administrator cannot be demoted or disabled, also not by two admins
 *   demoting each other at once: in PostgreSQL every such change holds one advisory lock, so
 *   the second one counts after the first committed; SQLite runs one write transaction at a time;
 * - disabling or removing a role moves the target to a new epoch and ends every session (I1).
 */
export async function changeUserAsAdmin (
  db: Kysely<Database>,
  dialect: Dialect,
  actorId: string,
  targetId: string,
  changes: UserChanges,
  auditRow: (target: UserRow, endedSessions: number) => AuditRow
): Promise<AdminChangeResult> {
  let refusal: AdminChangeResult | undefined
  try {
    return await db.transaction().execute(async (trx): Promise<AdminChangeResult> => {
      if (dialect === 'postgres') await sql`select pg_advisory_xact_lock(${ADMIN_CHANGES_LOCK})`.execute(trx)
      if (!isActiveAdmin(await findUserById(trx, actorId))) return { outcome: 'actor-not-admin' }
      const target = await findUserById(trx, targetId)
      if (target === undefined) return { outcome: 'not-found' }
      const demotes = changes.disabled === true || (changes.roles !== undefined && !changes.roles.includes('admin'))
      if (targetId === actorId && demotes) return { outcome: 'self-demotion' }

      const updated = await updateUser(trx, targetId, changes)
      if (updated === undefined) return { outcome: 'not-found' }
      if (isActiveAdmin(target) && !isActiveAdmin(updated) && await countActiveAdmins(trx) === 0) {
        refusal = { outcome: 'last-admin' }
        throw new AbortChange()
      }
      const before = parseRoles(target.roles)
      const roleRemoved = changes.roles !== undefined && before.some((role) => changes.roles?.includes(role) !== true)
      const endedSessions = changes.disabled === true || roleRemoved
        ? await endEverySessionWithin(trx, targetId, changes.disabled === true ? 'user_disabled' : 'roles_reduced', new Date())
        : []
      const audit = auditRow(updated, endedSessions.length)
      await insertAuditRows(trx, [audit])
      return { outcome: 'updated', user: (await findUserById(trx, targetId)) ?? updated, endedSessions, audit }
    })
  } catch (error) {
    if (error instanceof AbortChange && refusal !== undefined) return refusal
    throw error
  }
}
