import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { AuditRow } from '../audit/audit-event.js'
import { insertAuditRows } from '../audit/audit-store.js'
import type { Database, MfaFactorRow } from '../db/schema.js'
import {
  acceptTotpStep, deleteRecoveryCodes, deleteUserFactor, findUserFactor, insertTotpFactor, listConfirmedFactors,
  MAX_CONFIRMED_TOTP_FACTORS, replaceRecoveryCodes
} from '../repositories/second-factors.js'
import type { KeyEncryption } from '../security/key-encryption.js'
import { hashRecoveryCode, newRecoveryCodeSet } from '../security/recovery-codes.js'
import { matchingStep, newTotpSecret, otpauthUri } from '../security/totp.js'
import { totpSecretAad } from './second-factor-proofs.js'

export interface TotpEnrolment {
  factorId: string
  secret: string
  uri: string
}

/** A new, unconfirmed TOTP factor (it replaces any earlier unconfirmed one); undefined at the per-user limit. */
export async function enrolTotp (
  db: Kysely<Database>,
  secrets: KeyEncryption,
  user: { id: string, username: string },
  issuer: string,
  now: Date
): Promise<TotpEnrolment | undefined> {
  if ((await listConfirmedFactors(db, user.id)).length >= MAX_CONFIRMED_TOTP_FACTORS) return undefined
  const factorId = randomUUID()
  const secret = newTotpSecret()
  // Sealed with the factor and user as associated data: a ciphertext copied to another row does not open (K1).
  const secretEncrypted = secrets.encrypt(secret, totpSecretAad(factorId, user.id))
  await insertTotpFactor(db, { id: factorId, userId: user.id, name: 'Authenticator app', secretEncrypted }, now)
  return { factorId, secret, uri: otpauthUri(secret, issuer, user.username) }
}

export type ConfirmOutcome =
  | { outcome: 'not-found' }
  | { outcome: 'wrong-code' }
  | { outcome: 'confirmed', recoveryCodes: string[] }

/**
 * Confirms a factor with a code from the app, which also spends that code's time step, and
 * issues a fresh set of recovery codes (K2), in one transaction with its audit rows.
 */
export async function confirmTotp (
  db: Kysely<Database>,
  secrets: KeyEncryption,
  userId: string,
  factorId: string,
  code: string,
  audit: (factor: MfaFactorRow) => AuditRow[],
  now: Date
): Promise<ConfirmOutcome> {
  const factor = await findUserFactor(db, userId, factorId)
  if (factor === undefined || factor.confirmed_at !== null) return { outcome: 'not-found' }
  const step = matchingStep(secrets.decrypt(factor.secret_encrypted, factor.id, totpSecretAad(factor.id, userId)), code, now.getTime())
  if (step === null) return { outcome: 'wrong-code' }
  const recoveryCodes = newRecoveryCodeSet()
  const confirmed = await db.transaction().execute(async (trx) => {
    if (!await acceptTotpStep(trx, factor.id, step, now, true)) return false
    await replaceRecoveryCodes(trx, userId, recoveryCodes.map(hashRecoveryCode), now)
    await insertAuditRows(trx, audit(factor))
    return true
  })
  // Confirmed meanwhile by a concurrent request with the same code: that one showed the codes.
  return confirmed ? { outcome: 'confirmed', recoveryCodes } : { outcome: 'not-found' }
}

/** Removes a confirmed factor; with the last one gone, the recovery codes go too (they only ever stood in for a factor). */
export async function removeFactor (db: Kysely<Database>, userId: string, factorId: string, audit: (remaining: number) => AuditRow[]): Promise<boolean> {
  return await db.transaction().execute(async (trx) => {
    if (!await deleteUserFactor(trx, userId, factorId)) return false
    const remaining = (await listConfirmedFactors(trx, userId)).length
    if (remaining === 0) await deleteRecoveryCodes(trx, userId)
    await insertAuditRows(trx, audit(remaining))
    return true
  })
}

/** A new set of recovery codes, the old set dead in the same transaction (K2); undefined without a factor. */
export async function regenerateRecoveryCodes (db: Kysely<Database>, userId: string, audit: AuditRow[], now: Date): Promise<string[] | undefined> {
  const codes = newRecoveryCodeSet()
  return await db.transaction().execute(async (trx) => {
    if ((await listConfirmedFactors(trx, userId)).length === 0) return undefined
    await replaceRecoveryCodes(trx, userId, codes.map(hashRecoveryCode), now)
    await insertAuditRows(trx, audit)
    return codes
  })
}
