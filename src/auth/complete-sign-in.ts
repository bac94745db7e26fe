import type { Kysely } from 'kysely'
import type { AuditRow } from '../audit/audit-event.js'
import { insertAuditRows } from '../audit/audit-store.js'
import type { Database } from '../db/schema.js'
import { issueDeviceToken, touchDeviceToken } from '../repositories/device-tokens.js'
import { insertSession, type Authentication, type ClientInfo, type IssuedSession, type SessionLifetimes } from '../repositories/sessions.js'
import { claimSignIn } from '../repositories/users.js'
import { AbortChange } from './end-sessions.js'

export interface SignIn {
  userId: string
  /** The epoch read before the slow work; the sign-in fails if it moved (I1). */
  authVersion: number
  authentication: Authentication
  client: ClientInfo
  lifetimes: SessionLifetimes
  /** A fresh hash when the stored one used old parameters (D5). */
  rehashedPassword?: string
  /**
   * The device token the attempt carried, when valid for this account (I7). Without `token`
   * (the MFA step knows only the id) it is renewed but not sent back: the client keeps its own.
   */
  device?: { id: string, token?: string }
  /**
   * Spends what this sign-in used up (the mfa_token, a TOTP step, a recovery code) in the same
   * transaction; false when a concurrent request spent it first: nothing is written (K1-K3).
   */
  spendSingleUse?: (trx: Kysely<Database>) => Promise<boolean>
  deviceTokenTtlSeconds: number
  /** The audit rows written with the session (the first is the sign-in itself). */
  auditRows: (sessionId: string) => AuditRow[]
}

export interface SignedIn extends IssuedSession {
  /** A device token to send back, or undefined when the client's own was renewed. */
  deviceToken: string | undefined
  /** The audit rows written with the session, for the log lines once committed. */
  audit: AuditRow[]
}

/**
 * The last step of every sign-in ceremony, in one transaction: claim the sign-in at the epoch
 * that was verified, create the session and its refresh token, renew or issue the device
 * token, write the audit row. Undefined when a credential change won the race: nothing is
 * written and the caller answers as for a wrong password.
 */
export async function completeSignIn (db: Kysely<Database>, signIn: SignIn, now = new Date()): Promise<SignedIn | undefined> {
  return await db.transaction().execute(async (trx) => {
    if (signIn.spendSingleUse !== undefined && !await signIn.spendSingleUse(trx)) throw new AbortChange()
    // A failed claim rolls back what spendSingleUse spent: the proof stays usable for a retry.
    if (!await claimSignIn(trx, signIn.userId, signIn.authVersion, now, signIn.rehashedPassword)) throw new AbortChange()
    const sessionInput = { userId: signIn.userId, ...signIn.client, authVersion: signIn.authVersion, authentication: signIn.authentication }
    const issued = await insertSession(trx, sessionInput, signIn.lifetimes, now)
    let deviceToken = signIn.device?.token
    if (signIn.device === undefined || !await touchDeviceToken(trx, signIn.device.id, signIn.client, now, signIn.deviceTokenTtlSeconds)) {
      deviceToken = (await issueDeviceToken(trx, signIn.userId, signIn.client, now, signIn.deviceTokenTtlSeconds)).token
    }
    const audit = signIn.auditRows(issued.session.id)
    await insertAuditRows(trx, audit)
    return { ...issued, deviceToken, audit }
  }).catch((error: unknown) => {
    if (error instanceof AbortChange) return undefined
    throw error
  })
}
