import type { Kysely } from 'kysely'
import type { AuditRow } from '../audit/audit-event.js'
import type { Database, MfaChallengeRow, UserRow } from '../db/schema.js'
import { consumeMfaChallenge, findLiveMfaChallenge, recordMfaFailure } from '../repositories/mfa-challenges.js'
import { countUnusedRecoveryCodes } from '../repositories/second-factors.js'
import type { ClientInfo, SessionLifetimes } from '../repositories/sessions.js'
import { findUserById } from '../repositories/users.js'
import type { KeyEncryption } from '../security/key-encryption.js'
import type { FailureRecord, LoginThrottle, RefusedAttempt } from '../security/login-throttle.js'
import { ACR_MFA } from './authentication.js'
import { completeSignIn, type SignedIn } from './complete-sign-in.js'
import { amrWithSecondFactor, checkProof, consumeProof, type AcceptedProof, type SecondFactorProof } from './second-factor-proofs.js'

export interface MfaLoginDependencies {
  db: Kysely<Database>
  secrets: KeyEncryption
  throttle: LoginThrottle
  lifetimes: SessionLifetimes
  deviceTokenTtlSeconds: number
}

export interface MfaLoginInput {
  mfaToken: string
  proof: SecondFactorProof
  ip: string
  client: ClientInfo
}

export type MfaLoginOutcome =
  /** Unknown, used, expired or worn-out mfa_token, or the account changed since the password step. */
  | { outcome: 'invalid-token' }
  | { outcome: 'throttled', attempt: RefusedAttempt, user: UserRow }
  | { outcome: 'rejected', user: UserRow, failure: FailureRecord }
  | { outcome: 'signed-in', user: UserRow, signedIn: SignedIn, proof: AcceptedProof, recoveryCodesLeft: number | undefined }

export interface MfaAudit {
  success: (user: UserRow, sessionId: string, proof: AcceptedProof) => AuditRow[]
}

/**
 * The second step of a login (K3): the mfa_token from the password step and a second factor
 * become a session. The token is bound to its user and to the epoch the password step read;
 * the code is throttled on the same keys as passwords (K1); the token, the TOTP step or the
 * recovery code are spent in the transaction that creates the session.
 */
export async function mfaLogin (deps: MfaLoginDependencies, input: MfaLoginInput, audit: MfaAudit): Promise<MfaLoginOutcome> {
  const now = new Date()
  const challenge = await findLiveMfaChallenge(deps.db, input.mfaToken, now)
  if (challenge === undefined) return { outcome: 'invalid-token' }
  const user = await findUserById(deps.db, challenge.user_id)
  if (user === undefined || user.disabled === 1 || user.auth_version !== challenge.auth_version) return { outcome: 'invalid-token' }

  const attempt = await deps.throttle.begin(user.username, input.ip, challenge.device_id ?? undefined)
  if (!attempt.allowed) return { outcome: 'throttled', attempt, user }

  const proof = await checkProof(deps.db, deps.secrets, user.id, input.proof, now.getTime())
  if (proof === null) {
    await recordMfaFailure(deps.db, challenge.id)
    return { outcome: 'rejected', user, failure: await attempt.failed() }
  }
  const signedIn = await completeSignIn(deps.db, signInFor(deps, challenge, user, input.client, proof, audit, now), now)
  // A concurrent answer spent the token or the code first, or the account changed meanwhile.
  if (signedIn === undefined) return { outcome: 'invalid-token' }
  await attempt.succeeded()
  const recoveryCodesLeft = proof.kind === 'recovery_code' ? await countUnusedRecoveryCodes(deps.db, user.id) : undefined
  return { outcome: 'signed-in', user, signedIn, proof, recoveryCodesLeft }
}

function signInFor (
  deps: MfaLoginDependencies,
  challenge: MfaChallengeRow,
  user: UserRow,
  client: ClientInfo,
  proof: AcceptedProof,
  audit: MfaAudit,
  now: Date
): Parameters<typeof completeSignIn>[1] {
  return {
    userId: user.id,
    authVersion: challenge.auth_version,
    authentication: { amr: amrWithSecondFactor(), acr: ACR_MFA, authTime: now },
    client,
    lifetimes: deps.lifetimes,
    device: challenge.device_id === null ? undefined : { id: challenge.device_id },
    deviceTokenTtlSeconds: deps.deviceTokenTtlSeconds,
    spendSingleUse: async (trx) => await consumeMfaChallenge(trx, challenge.id, now) && await consumeProof(trx, user.id, proof, now),
    auditRows: (sessionId) => audit.success(user, sessionId, proof)
  }
}
