import type { Kysely } from 'kysely'
import type { AuditRow } from '../audit/audit-event.js'
import { insertAuditRows } from '../audit/audit-store.js'
import type { Database } from '../db/schema.js'
import { issueDeviceToken, touchDeviceToken } from '../repositories/device-tokens.js'
import { insertSession, type Authentication, type ClientInfo, type IssuedSession, type SessionLifetimes } from '../repositories/sessions.js'
import { claimSignIn } from '../repositories/users.js'

export interface SignIn {
  userId: string
  /** The epoch read before the slow work; the sign-in fails if it moved (I1). */
  authVersion: number
  authentication: Authentication
  client: ClientInfo
  lifetimes: SessionLifetimes
  /** A fresh hash when the stored one used old parameters (D5). */
  rehashedPassword?: string
  /** The device token the attempt carried, when valid for this account (I7). */
  device?: { id: string, token: string }
  deviceTokenTtlSeconds: number
  auditRow: (sessionId: string) => AuditRow
}

export interface SignedIn extends IssuedSession {
  deviceToken: string
  /** The audit row written with the session, for the log line once committed. */
  audit: AuditRow
}

/**
 * The last step of every sign-in ceremony, in one transaction: claim the sign-in at the epoch
 * that was verified, create the session and its refresh token, renew or issue the device
 * token, write the audit row. Undefined when a credential change won the race: nothing is
 * written and the caller answers as for a wrong password.
 */
export async function completeSignIn (db: Kysely<Database>, signIn: SignIn, now = new Date()): Promise<SignedIn | undefined> {
  return await db.transaction().execute(async (trx) => {
    if (!await claimSignIn(trx, signIn.userId, signIn.authVersion, now, signIn.rehashedPassword)) return undefined
    const sessionInput = { userId: signIn.userId, ...signIn.client, authVersion: signIn.authVersion, authentication: signIn.authentication }
    const issued = await insertSession(trx, sessionInput, signIn.lifetimes, now)
    let deviceToken = signIn.device?.token
    if (signIn.device === undefined || !await touchDeviceToken(trx, signIn.device.id, signIn.client, now, signIn.deviceTokenTtlSeconds)) {
      deviceToken = (await issueDeviceToken(trx, signIn.userId, signIn.client, now, signIn.deviceTokenTtlSeconds)).token
    }
    const audit = signIn.auditRow(issued.session.id)
    await insertAuditRows(trx, [audit])
    return { ...issued, deviceToken: deviceToken ?? '', audit }
  })
}
