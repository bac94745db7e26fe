import type { Kysely } from 'kysely'
import type { AuditRow } from '../audit/audit-event.js'
import { insertAuditRows } from '../audit/audit-store.js'
import type { Database } from '../db/schema.js'
import { revokeUserDeviceTokens } from '../repositories/device-tokens.js'
import { revokeOwnSession, revokeSession, revokeUserSessions } from '../repositories/sessions.js'
import { bumpAuthEpoch } from '../repositories/users.js'

/**
 * Inside a change's transaction: moves the user to a new authentication epoch first (in
 * PostgreSQL that UPDATE locks the user row, so a sign-in claiming the old epoch waits and then
 * fails), then ends every session and device token. Returns the ended session ids, which the
 * caller must publish to the revocation list once the transaction has committed (I1, A9).
 */
export async function endEverySessionWithin (trx: Kysely<Database>, userId: string, reason: string, now: Date): Promise<string[]> {
  await bumpAuthEpoch(trx, userId, now)
  const ended = await revokeUserSessions(trx, userId, reason)
  await revokeUserDeviceTokens(trx, userId, now)
  return ended
}

/**
 * A change that must end every session of a user (password change, disable, role removal,
 * "end all sessions"): `change` and the epoch bump and the audit rows commit together or not
 * at all (`audit` builds its rows knowing the sessions ended). `change` returns false to abort
 * (nothing is written). Returns the ended session ids,
 * or undefined when aborted.
 */
export async function applyCredentialChange (
  db: Kysely<Database>,
  userId: string,
  reason: string,
  audit: (endedSessions: string[]) => AuditRow[],
  change: (trx: Kysely<Database>) => Promise<boolean> = async () => true,
  now = new Date()
): Promise<string[] | undefined> {
  return await db.transaction().execute(async (trx) => {
    const ended = await endEverySessionWithin(trx, userId, reason, now)
    if (!await change(trx)) throw new AbortChange()
    await insertAuditRows(trx, audit(ended))
    return ended
  }).catch((error: unknown) => {
    if (error instanceof AbortChange) return undefined
    throw error
  })
}

/** Ends one session with its audit row, in one transaction; false when it was not live. */
export async function endOneSession (db: Kysely<Database>, sessionId: string, reason: string, audit: AuditRow[]): Promise<boolean> {
  return await db.transaction().execute(async (trx) => {
    const ended = await revokeSession(trx, sessionId, reason)
    await insertAuditRows(trx, audit)
    return ended
  })
}

/** Ends one of the user's own sessions with its audit row; false when it is not theirs or already ended. */
export async function endOwnSession (db: Kysely<Database>, userId: string, sessionId: string, reason: string, audit: AuditRow[]): Promise<boolean> {
  return await db.transaction().execute(async (trx) => {
    const ended = await revokeOwnSession(trx, userId, sessionId, reason)
    if (ended) await insertAuditRows(trx, audit)
    return ended
  })
}

/** Rolls a change's transaction back without it being an error. */
export class AbortChange extends Error {
  constructor () {
    super('change aborted')
    this.name = 'AbortChange'
  }
}
