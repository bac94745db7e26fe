import type { Kysely } from 'kysely'
import type { AuditRow } from '../audit/audit-event.js'
import { insertAuditRows } from '../audit/audit-store.js'
import type { Database, UserRow } from '../db/schema.js'
import { reauthenticateSession, sessionAuthentication, type Authentication, type IssuedSession } from '../repositories/sessions.js'
import { findUserById } from '../repositories/users.js'
import type { KeyEncryption } from '../security/key-encryption.js'
import type { LoginThrottle, RefusedAttempt } from '../security/login-throttle.js'
import type { PasswordHasher } from '../security/passwords.js'
import { ACR_MFA, passwordAuthentication } from './authentication.js'
import { AbortChange } from './end-sessions.js'
import { secondFactorMethods } from './mfa-methods.js'
import { checkProof, consumeProof, type AcceptedProof, type SecondFactorProof } from './second-factor-proofs.js'

export interface ReauthenticateDependencies {
  db: Kysely<Database>
  passwords: PasswordHasher
  secrets: KeyEncryption
  throttle: LoginThrottle
}

export type ReauthenticationProof = { password: string } | SecondFactorProof

export type ReauthenticateOutcome =
  /** The account has a second factor, so only a second factor re-proves it. */
  | { outcome: 'second-factor-required' }
  | { outcome: 'throttled', attempt: RefusedAttempt }
  | { outcome: 'rejected', user: UserRow }
  /** The session or account ended meanwhile. */
  | { outcome: 'session-ended' }
  | { outcome: 'reauthenticated', user: UserRow, issued: IssuedSession, method: 'password' | AcceptedProof['kind'] }

/**
 * POST /auth/reauthenticate (RFC 9470): a fresh proof, inside the same session, moves its
 * auth_time to now. An account with a second factor re-proves with that factor, and the
 * session then counts as multi-factor (it holds the password step of its sign-in and this
 * one); an account without one re-proves with its password. Wrong proofs share the login
 * throttle (K1, D6).
 */
export async function reauthenticate (
  deps: ReauthenticateDependencies,
  input: { userId: string, sessionId: string, proof: ReauthenticationProof, ip: string },
  audit: (user: UserRow, method: string) => AuditRow[]
): Promise<ReauthenticateOutcome> {
  const now = new Date()
  const user = await findUserById(deps.db, input.userId)
  if (user === undefined || user.disabled === 1) return { outcome: 'session-ended' }
  const hasSecondFactor = (await secondFactorMethods(deps.db, user.id)).length > 0
  if (hasSecondFactor && 'password' in input.proof) return { outcome: 'second-factor-required' }

  const attempt = await deps.throttle.begin(user.username, input.ip)
  if (!attempt.allowed) return { outcome: 'throttled', attempt }
  const proof = input.proof
  const accepted = 'password' in proof
    ? (await deps.passwords.verify(user.password_hash, proof.password) ? 'password' as const : null)
    : await checkProof(deps.db, deps.secrets, user.id, proof, now.getTime())
  if (accepted === null) {
    await attempt.failed()
    return { outcome: 'rejected', user }
  }

  let replayed = false
  const issued = await deps.db.transaction().execute(async (trx) => {
    if (accepted !== 'password' && !await consumeProof(trx, user.id, accepted, now)) {
      // A concurrent request spent the same code first: a replay, answered as a wrong code.
      replayed = true
      throw new AbortChange()
    }
    const current = await trx.selectFrom('sessions').selectAll().where('id', '=', input.sessionId).executeTakeFirst()
    if (current === undefined) throw new AbortChange()
    const authentication: Authentication = accepted === 'password'
      ? passwordAuthentication(now)
      : { amr: withSecondFactor(sessionAuthentication(current).amr), acr: ACR_MFA, authTime: now }
    const renewed = await reauthenticateSession(trx, input.sessionId, user.id, authentication, now)
    if (renewed === undefined) throw new AbortChange()
    await insertAuditRows(trx, audit(user, accepted === 'password' ? 'password' : accepted.kind))
    return renewed
  }).catch((error: unknown) => {
    if (error instanceof AbortChange) return undefined
    throw error
  })
  if (issued === undefined) return replayed ? { outcome: 'rejected', user } : { outcome: 'session-ended' }
  await attempt.succeeded()
  return { outcome: 'reauthenticated', user, issued, method: accepted === 'password' ? 'password' : accepted.kind }
}

/** The session's methods plus a one-time password, and `mfa` once two kinds are in (RFC 8176). */
function withSecondFactor (amr: string[]): string[] {
  const methods = new Set(amr.filter((method) => method !== 'mfa'))
  methods.add('otp')
  if (methods.size >= 2) methods.add('mfa')
  return [...methods]
}
