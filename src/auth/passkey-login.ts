import { createHash } from 'node:crypto'
import type { AuthenticationResponseJSON } from '@simplewebauthn/server'
import type { Kysely } from 'kysely'
import type { AuditRow } from '../audit/audit-event.js'
import type { Database, PasskeyRow, UserRow } from '../db/schema.js'
import { findPasskeyByCredentialId } from '../repositories/passkeys.js'
import type { Authentication, ClientInfo, SessionLifetimes } from '../repositories/sessions.js'
import { findUserById } from '../repositories/users.js'
import { consumeChallenge } from '../repositories/webauthn-challenges.js'
import type { FailureRecord, LoginThrottle, RefusedAttempt } from '../security/login-throttle.js'
import { ACR_MFA } from './authentication.js'
import { completeSignIn, type SignedIn } from './complete-sign-in.js'
import { challengeOf, checkAssertion, userHandleOf, type RelyingParty } from './passkeys.js'
import type { AuthTestHooks } from './test-hooks.js'

/**
 * A passwordless passkey sign-in (RFC 8176): `hwk` (proof of possession of the authenticator's
 * key) and `user` (it verified the user, required here); two factors, so acr is mfa (K4).
 */
export function passkeyAuthentication (now: Date): Authentication {
  return { amr: ['hwk', 'user'], acr: ACR_MFA, authTime: now }
}

export interface PasskeyLoginDependencies {
  db: Kysely<Database>
  rp: RelyingParty
  throttle: LoginThrottle
  lifetimes: SessionLifetimes
  deviceTokenTtlSeconds: number
  hooks?: AuthTestHooks
}

export interface PasskeyLoginInput {
  challengeId: string
  response: AuthenticationResponseJSON
  ip: string
  client: ClientInfo
}

export type PasskeyRejection =
  | 'malformed client data'
  | 'unknown, used or expired challenge'
  | 'unknown credential'
  | 'user handle mismatch'
  | 'assertion not verified'
  | 'disabled'
  | 'credentials changed'

export type PasskeyLoginOutcome =
  | { outcome: 'throttled', attempt: RefusedAttempt }
  | { outcome: 'rejected', reason: PasskeyRejection, detail: string | undefined, passkey: PasskeyRow | undefined, failure: FailureRecord | undefined }
  | { outcome: 'signed-in', user: UserRow, passkey: PasskeyRow, signedIn: SignedIn }

/**
 * The throttle key of a passkey login: the credential (hashed: ids reach 1,364 characters).
 * Usernames cannot contain ':', so it never shares a counter with a username; the per-address
 * layer of the login throttle counts these failures together with password failures (D6).
 */
export function passkeyThrottleKey (credentialId: string): string {
  return `passkey:${createHash('sha256').update(credentialId).digest('base64url').slice(0, 32)}`
}

/**
 * Assertion to session (K6): throttle check, the challenge consumed (single use, unexpired,
 * bound to nobody, the one this challenge_id names), the credential looked up, its user read
 * (the epoch, I1), the assertion checked with user verification required, then completeSignIn.
 * Every refusal but a disabled account or a lost race counts as a failure for the credential
 * and the address. `successAudit` builds the audit row written with the session.
 */
export async function passkeyLogin (
  deps: PasskeyLoginDependencies,
  input: PasskeyLoginInput,
  successAudit: (user: UserRow, passkey: PasskeyRow, sessionId: string) => AuditRow
): Promise<PasskeyLoginOutcome> {
  const now = new Date()
  const attempt = await deps.throttle.begin(passkeyThrottleKey(input.response.id), input.ip)
  if (!attempt.allowed) return { outcome: 'throttled', attempt }
  const refuse = async (reason: PasskeyRejection, passkey?: PasskeyRow, detail?: string): Promise<PasskeyLoginOutcome> =>
    ({ outcome: 'rejected', reason, detail, passkey, failure: await attempt.failed() })

  const challenge = challengeOf(input.response)
  if (challenge === undefined) return await refuse('malformed client data')
  // Consumed before anything else is looked at: whatever follows, this challenge is spent.
  if (!await consumeChallenge(deps.db, { id: input.challengeId, challenge, purpose: 'authentication', userId: null }, now)) {
    return await refuse('unknown, used or expired challenge')
  }
  const passkey = await findPasskeyByCredentialId(deps.db, input.response.id)
  if (passkey === undefined) return await refuse('unknown credential')
  // A discoverable credential names its user; it must be the passkey's owner.
  const handle = input.response.response.userHandle
  if (handle !== undefined && handle !== '' && handle !== Buffer.from(userHandleOf(passkey.user_id)).toString('base64url')) {
    return await refuse('user handle mismatch', passkey)
  }
  const user = await findUserById(deps.db, passkey.user_id)
  if (user === undefined) return await refuse('unknown credential', passkey)
  const check = await checkAssertion(deps.db, deps.rp, passkey, challenge, input.response, true, now)
  if (!check.verified) return await refuse('assertion not verified', passkey, check.reason)
  // A valid passkey of a disabled account is not a guess: no failure is counted.
  if (user.disabled === 1) return { outcome: 'rejected', reason: 'disabled', detail: undefined, passkey, failure: undefined }

  await deps.hooks?.afterPasskeyVerified?.(passkey.id)
  const signedIn = await completeSignIn(deps.db, {
    userId: user.id,
    authVersion: user.auth_version,
    authentication: passkeyAuthentication(now),
    client: input.client,
    lifetimes: deps.lifetimes,
    deviceTokenTtlSeconds: deps.deviceTokenTtlSeconds,
    auditRows: (sessionId) => [successAudit(user, passkey, sessionId)]
  }, now)
  if (signedIn === undefined) return { outcome: 'rejected', reason: 'credentials changed', detail: undefined, passkey, failure: undefined }
  await attempt.succeeded()
  return { outcome: 'signed-in', user, passkey, signedIn }
}
