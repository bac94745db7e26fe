import type { Kysely } from 'kysely'
import type { AuditRow } from '../audit/audit-event.js'
import type { Database, UserRow } from '../db/schema.js'
import { findLoginDevice } from '../repositories/device-tokens.js'
import type { ClientInfo, SessionLifetimes } from '../repositories/sessions.js'
import { insertMfaChallenge } from '../repositories/mfa-challenges.js'
import { findUserByUsername, replacePasswordHash } from '../repositories/users.js'
import type { FailureRecord, LoginThrottle, RefusedAttempt } from '../security/login-throttle.js'
import type { PasswordHasher } from '../security/passwords.js'
import { passwordAuthentication } from './authentication.js'
import { completeSignIn, type SignedIn } from './complete-sign-in.js'
import { secondFactorMethods, type MfaMethod } from './mfa-methods.js'
import type { AuthTestHooks } from './test-hooks.js'

export interface PasswordLoginDependencies {
  db: Kysely<Database>
  passwords: PasswordHasher
  throttle: LoginThrottle
  lifetimes: SessionLifetimes
  deviceTokenTtlSeconds: number
  hooks?: AuthTestHooks
}

export interface PasswordLoginInput {
  username: string
  password: string
  deviceToken?: string
  ip: string
  client: ClientInfo
}

export type RejectionReason = 'unknown user' | 'disabled' | 'wrong password' | 'credentials changed'

export type PasswordLoginOutcome =
  | { outcome: 'throttled', attempt: RefusedAttempt, withDevice: boolean }
  | { outcome: 'rejected', reason: RejectionReason, user: UserRow | undefined, failure: FailureRecord | undefined }
  | { outcome: 'signed-in', user: UserRow, signedIn: SignedIn, rehashed: boolean }
  /** The password was right and the account has a second factor: no session yet (K3). */
  | { outcome: 'mfa-required', user: UserRow, mfaToken: string, expiresIn: number, methods: MfaMethod[] }

/**
 * Username and password to a session: throttle check (per device when a valid device token
 * came along, I7), one argon2 verify whatever the outcome (D2), a failure counted only when
 * argon2 said the password is wrong (I6), then completeSignIn at the epoch read before argon2
 * (I1). `successAudit` builds the audit row written with the session.
 */
export async function passwordLogin (
  deps: PasswordLoginDependencies,
  input: PasswordLoginInput,
  successAudit: (user: UserRow, sessionId: string, rehashed: boolean) => AuditRow
): Promise<PasswordLoginOutcome> {
  const now = new Date()
  const device = input.deviceToken === undefined ? undefined : await findLoginDevice(deps.db, input.deviceToken, input.username, now)
  // Before the user lookup and any argon2 work, and keyed on the name whether it exists or not (D6).
  const attempt = await deps.throttle.begin(input.username, input.ip, device?.id)
  if (!attempt.allowed) return { outcome: 'throttled', attempt, withDevice: device !== undefined }

  const user = await findUserByUsername(deps.db, input.username)
  // Exactly one argon2 verify: against the user's hash, or a dummy made at start (D2).
  const matches = user === undefined ? await deps.passwords.verifyDummy(input.password) : await deps.passwords.verify(user.password_hash, input.password)
  if (user === undefined || !matches) {
    return { outcome: 'rejected', reason: user === undefined ? 'unknown user' : 'wrong password', user, failure: await attempt.failed() }
  }
  // The right password of a disabled account is not a guess: no failure is counted.
  if (user.disabled === 1) return { outcome: 'rejected', reason: 'disabled', user, failure: undefined }

  await deps.hooks?.afterPasswordVerified?.(input.username)
  // Parameters changed since this hash was made: store a fresh one now that we know the password.
  const rehashedPassword = deps.passwords.needsRehash(user.password_hash) ? await deps.passwords.hash(input.password) : undefined

  const methods = await secondFactorMethods(deps.db, user.id)
  if (methods.length > 0) {
    // The throttle is not cleared: only a finished sign-in clears it, so a known password
    // cannot buy fresh guesses at the second factor (K1).
    if (rehashedPassword !== undefined) await replacePasswordHash(deps.db, user.id, user.password_hash, rehashedPassword)
    const challenge = await insertMfaChallenge(deps.db, { userId: user.id, authVersion: user.auth_version, passwordAt: now, deviceId: device?.id ?? null }, now)
    return { outcome: 'mfa-required', user, mfaToken: challenge.token, expiresIn: challenge.expiresIn, methods }
  }
  const signedIn = await completeSignIn(deps.db, {
    userId: user.id,
    authVersion: user.auth_version,
    authentication: passwordAuthentication(now),
    client: input.client,
    lifetimes: deps.lifetimes,
    rehashedPassword,
    device: device === undefined || input.deviceToken === undefined ? undefined : { id: device.id, token: input.deviceToken },
    deviceTokenTtlSeconds: deps.deviceTokenTtlSeconds,
    auditRows: (sessionId) => [successAudit(user, sessionId, rehashedPassword !== undefined)]
  })
  if (signedIn === undefined) return { outcome: 'rejected', reason: 'credentials changed', user, failure: undefined }
  await attempt.succeeded()
  return { outcome: 'signed-in', user, signedIn, rehashed: rehashedPassword !== undefined }
}
