import type { Kysely } from 'kysely'
import type { AuditRow } from '../audit/audit-event.js'
import { insertAuditRows } from '../audit/audit-store.js'
import { isUniqueViolation } from '../db/errors.js'
import type { Database, UserRow } from '../db/schema.js'
import type { AuditSink, Mailer } from '../mail/mailer.js'
import { emailChangeNoticeMail, emailVerificationLink, emailVerificationMail, passwordResetLink, passwordResetMail } from '../mail/templates.js'
import {
  consumeRecoveryToken, countMailedTokensSince, findLiveRecoveryToken, issueRecoveryToken, supersedeRecoveryTokens, type IssuedRecoveryToken
} from '../repositories/recovery-tokens.js'
import { findUserByVerifiedEmail, normalizeEmail, setPasswordHash, setVerifiedEmail } from '../repositories/user-emails.js'
import { findUserById } from '../repositories/users.js'
import type { LoginThrottle } from '../security/login-throttle.js'
import { checkPassword, type PolicyViolation } from '../security/password-policy.js'
import type { PasswordHasher } from '../security/passwords.js'
import { AbortChange, applyCredentialChange } from './end-sessions.js'

/** K7: a reset token lives 30 minutes at most (mailed or handed over by an administrator). */
export const RESET_TOKEN_TTL_SECONDS = 30 * 60
/** An address confirmation lives a day: people read mail later than they ask for it. */
export const VERIFICATION_TOKEN_TTL_SECONDS = 24 * 60 * 60
/**
 * Reset mails to one address an hour. Beyond it requests are still answered 202 and simply
 * send nothing: a 429 here would differ between known and unknown addresses (K7), so the only
 * 429 of the request comes from the per-client limit (RECOVERY_RATE_LIMIT_MAX).
 */
export const RESET_MAILS_PER_ADDRESS_PER_HOUR = 3

async function commitAudit (db: Kysely<Database>, audit: AuditSink, row: AuditRow): Promise<void> {
  await insertAuditRows(db, [row])
  audit.logged(row)
}

/**
 * The work behind POST /auth/password-reset/request, run off the request path (the request has
 * already answered 202, the same for every address): only an enabled account whose VERIFIED
 * address this is gets a token and a mail (K8), at most RESET_MAILS_PER_ADDRESS_PER_HOUR.
 */
export async function handlePasswordResetRequest (db: Kysely<Database>, mailer: Mailer, email: string, audit: AuditSink, now = new Date()): Promise<void> {
  const user = await findUserByVerifiedEmail(db, email)
  if (user === undefined || user.disabled === 1) {
    await commitAudit(db, audit, audit.row('password_reset_request', 'denied', { email: normalizeEmail(email), reason: user === undefined ? 'no account has this verified address' : 'account disabled' }))
    return
  }
  const who = { user_id: user.id, username: user.username, email: normalizeEmail(email) }
  if (await countMailedTokensSince(db, user.id, 'password_reset', new Date(now.getTime() - 3600_000)) >= RESET_MAILS_PER_ADDRESS_PER_HOUR) {
    await commitAudit(db, audit, audit.row('password_reset_request', 'denied', { ...who, reason: 'per-address limit: no mail sent' }))
    return
  }
  let row: AuditRow | undefined
  const issued = await db.transaction().execute(async (trx) => {
    const token = await issueRecoveryToken(trx, { purpose: 'password_reset', userId: user.id, ttlSeconds: RESET_TOKEN_TTL_SECONDS }, now)
    row = audit.row('password_reset_request', 'success', { ...who, expires_at: token.expiresAt })
    await insertAuditRows(trx, [row])
    return token
  })
  if (row !== undefined) audit.logged(row)
  const link = passwordResetLink(mailer.settings.publicUrl, issued.token)
  const mail = passwordResetMail({ username: user.username, link, minutes: RESET_TOKEN_TTL_SECONDS / 60 })
  await mailer.send({ ...mail, to: user.email ?? email, secrets: [issued.token] }, audit, user.id)
}

/**
 * The work behind POST /auth/email, off the request path. The new address gets a link (K8: it
 * is not used until confirmed) unless another account has already verified it: that address
 * gets nothing an attacker could use, and the requester's answer was the same 202. The old
 * verified address, if any, is told in every case (so the notice reveals nothing either).
 */
export async function handleEmailChangeRequest (db: Kysely<Database>, mailer: Mailer, userId: string, email: string, audit: AuditSink, now = new Date()): Promise<void> {
  const user = await findUserById(db, userId)
  if (user === undefined || user.disabled === 1) return
  const who = { user_id: user.id, username: user.username, email }
  if (user.email_normalized === normalizeEmail(email) && user.email_verified === 1) {
    await commitAudit(db, audit, audit.row('email_change_request', 'denied', { ...who, reason: 'already the verified address of this account' }))
    return
  }
  const owner = await findUserByVerifiedEmail(db, email)
  if (owner !== undefined) {
    await commitAudit(db, audit, audit.row('email_change_request', 'denied', { ...who, reason: 'another account has verified this address: nothing sent to it' }))
  } else {
    let row: AuditRow | undefined
    const issued = await db.transaction().execute(async (trx) => {
      const token = await issueRecoveryToken(trx, { purpose: 'email_verification', userId: user.id, email, ttlSeconds: VERIFICATION_TOKEN_TTL_SECONDS }, now)
      row = audit.row('email_change_request', 'success', { ...who, previous_email: user.email, expires_at: token.expiresAt })
      await insertAuditRows(trx, [row])
      return token
    })
    if (row !== undefined) audit.logged(row)
    const link = emailVerificationLink(mailer.settings.publicUrl, issued.token)
    const mail = emailVerificationMail({ username: user.username, email, link, hours: VERIFICATION_TOKEN_TTL_SECONDS / 3600 })
    await mailer.send({ ...mail, to: email, secrets: [issued.token] }, audit, user.id)
  }
  if (user.email !== null && user.email_verified === 1) {
    await mailer.send({ ...emailChangeNoticeMail({ username: user.username, newEmail: email }), to: user.email, secrets: [] }, audit, user.id)
  }
}

export type VerifyEmailResult =
  | { outcome: 'verified', user: UserRow, audit: AuditRow }
  | { outcome: 'invalid' }
  | { outcome: 'taken', userId: string }

/**
 * POST /auth/email/verify: uses the token and sets the address in one transaction. An address
 * another account verified meanwhile violates the unique index: the whole transaction rolls
 * back (the token stays unused) and the caller answers 409.
 */
export async function verifyEmail (db: Kysely<Database>, token: string, audit: AuditSink, now = new Date()): Promise<VerifyEmailResult> {
  let taken: string | undefined
  try {
    return await db.transaction().execute(async (trx): Promise<VerifyEmailResult> => {
      const used = await consumeRecoveryToken(trx, 'email_verification', token, now)
      if (used === undefined || used.email === null) return { outcome: 'invalid' }
      const before = await findUserById(trx, used.user_id)
      taken = used.user_id
      if (before === undefined || !await setVerifiedEmail(trx, used.user_id, used.email, now)) throw new AbortChange()
      taken = undefined
      const row = audit.row('email_verified', 'success', { user_id: before.id, username: before.username, email: used.email, previous_email: before.email })
      await insertAuditRows(trx, [row])
      return { outcome: 'verified', user: (await findUserById(trx, used.user_id)) ?? before, audit: row }
    })
  } catch (error) {
    if (error instanceof AbortChange) return { outcome: 'invalid' }
    if (isUniqueViolation(error) && taken !== undefined) return { outcome: 'taken', userId: taken }
    throw error
  }
}

export interface ResetDependencies {
  db: Kysely<Database>
  passwords: PasswordHasher
  throttle: LoginThrottle
  passwordMinLength: number
}

export type ResetPasswordResult =
  | { outcome: 'reset', user: UserRow, endedSessions: string[], audit: AuditRow[] }
  | { outcome: 'invalid', reason: string }
  | { outcome: 'weak-password', user: UserRow, violations: PolicyViolation[] }

/**
 * POST /auth/password-reset. A cheap look at the token first (no argon2 work for junk), the
 * policy, the hash; then ONE transaction (applyCredentialChange): a new authentication epoch
 * and every session and device token ended (I1, C6), the token used by a conditional UPDATE
 * (single use: of two resets racing with one token, one commits and the other rolls back), the
 * new hash, the user's other reset tokens ended, the audit row. Second factors are not touched
 * (K7). Afterwards the username's login throttle is cleared.
 */
export async function resetPassword (deps: ResetDependencies, token: string, newPassword: string, audit: AuditSink, now = new Date()): Promise<ResetPasswordResult> {
  const live = await findLiveRecoveryToken(deps.db, 'password_reset', token, now)
  if (live === undefined) return { outcome: 'invalid', reason: 'unknown, used, expired or not a reset token' }
  const user = await findUserById(deps.db, live.user_id)
  if (user === undefined || user.disabled === 1) return { outcome: 'invalid', reason: 'account disabled or deleted' }
  const violations = checkPassword(newPassword, user.username, deps.passwordMinLength, '/new_password')
  if (violations.length > 0) return { outcome: 'weak-password', user, violations }
  const newHash = await deps.passwords.hash(newPassword)
  const rows: AuditRow[] = []
  const ended = await applyCredentialChange(deps.db, user.id, 'password_reset', (sessions) => {
    rows.push(audit.row('password_reset', 'success', { user_id: user.id, username: user.username, sessions_ended: sessions.length, issued_by: live.created_by ?? 'mail' }))
    return rows
  }, async (trx) => {
    const used = await consumeRecoveryToken(trx, 'password_reset', token, now)
    if (used === undefined || used.user_id !== user.id) return false
    if (!await setPasswordHash(trx, user.id, newHash, now)) return false
    await supersedeRecoveryTokens(trx, user.id, 'password_reset', now)
    return true
  }, now)
  if (ended === undefined) return { outcome: 'invalid', reason: 'the token was used meanwhile' }
  await deps.throttle.clearAccount(user.username)
  return { outcome: 'reset', user, endedSessions: ended, audit: rows }
}

export type AdminResetResult =
  | { outcome: 'issued', token: IssuedRecoveryToken, audit: AuditRow }
  | { outcome: 'not-found' }

/** POST /admin/users/{id}/password-reset: a reset token for out-of-band handover, audited in its transaction (J1). */
export async function issueAdminReset (
  db: Kysely<Database>,
  adminId: string,
  targetId: string,
  auditRow: (target: UserRow, expiresAt: string) => AuditRow,
  now = new Date()
): Promise<AdminResetResult> {
  return await db.transaction().execute(async (trx): Promise<AdminResetResult> => {
    const target = await findUserById(trx, targetId)
    if (target === undefined) return { outcome: 'not-found' }
    const token = await issueRecoveryToken(trx, { purpose: 'password_reset', userId: target.id, ttlSeconds: RESET_TOKEN_TTL_SECONDS, createdBy: adminId }, now)
    const row = auditRow(target, token.expiresAt)
    await insertAuditRows(trx, [row])
    return { outcome: 'issued', token, audit: row }
  })
}
