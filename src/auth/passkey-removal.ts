import type { Kysely } from 'kysely'
import type { AuditRow } from '../audit/audit-event.js'
import type { Database } from '../db/schema.js'
import { countUserPasskeys, deleteOwnPasskey } from '../repositories/passkeys.js'
import { deleteRecoveryCodes, listConfirmedFactors } from '../repositories/second-factors.js'
import { applyCredentialChange } from './end-sessions.js'

/**
 * Removes one of the user's passkeys like a credential change: a new authentication epoch and
 * every session ended in the same transaction (a login using the passkey at that moment cannot
 * finish, I1). With no second factor left, the recovery codes go too. Returns the ended
 * sessions, or undefined when the passkey is not the user's.
 */
export async function removePasskey (db: Kysely<Database>, userId: string, passkeyId: string, audit: (endedSessions: string[]) => AuditRow[]): Promise<string[] | undefined> {
  return await applyCredentialChange(db, userId, 'passkey_delete', audit, async (trx) => {
    if (!await deleteOwnPasskey(trx, userId, passkeyId)) return false
    if (await countUserPasskeys(trx, userId) === 0 && (await listConfirmedFactors(trx, userId)).length === 0) await deleteRecoveryCodes(trx, userId)
    return true
  })
}
