import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { acceptTotpStep, hasUnusedRecoveryCode, listConfirmedFactors, useRecoveryCode } from '../repositories/second-factors.js'
import type { KeyEncryption } from '../security/key-encryption.js'
import type { AuthenticationResponseJSON } from '@simplewebauthn/server'
import { verifyPasskeyOfUser, type RelyingParty } from './passkeys.js'
import { hashRecoveryCode } from '../security/recovery-codes.js'
import { matchingStep } from '../security/totp.js'

/** What a user may present as a second factor: a TOTP code, a recovery code or a passkey assertion. */
export type SecondFactorProof = { code: string } | { recoveryCode: string } | { webauthn: AuthenticationResponseJSON }

/** What checking a proof needs: the TOTP secrets' key and the relying party of passkeys. */
export interface ProofDependencies {
  db: Kysely<Database>
  secrets: KeyEncryption
  rp: RelyingParty
}

/** A proof that checked out, not yet used: `consumeProof` spends it inside the change's transaction. */
export type AcceptedProof =
  | { kind: 'totp', factorId: string, step: number }
  | { kind: 'recovery_code', codeHash: string }
  /** Its challenge and counter were spent when it was checked: an assertion cannot be checked twice. */
  | { kind: 'webauthn', passkeyId: string, userVerified: boolean }

/** The associated data that binds a sealed TOTP secret to its own row. */
export function totpSecretAad (factorId: string, userId: string): string {
  return `${factorId}|${userId}|totp`
}

/**
 * Checks a proof against the user's confirmed factors, without spending it. A TOTP code whose
 * time step is not later than the factor's last accepted one is a replay and fails (K1).
 */
export async function checkProof (deps: ProofDependencies, userId: string, proof: SecondFactorProof, nowMs: number): Promise<AcceptedProof | null> {
  const { db, secrets } = deps
  if ('webauthn' in proof) {
    const verified = await verifyPasskeyOfUser(db, deps.rp, userId, proof.webauthn, new Date(nowMs))
    return verified === null ? null : { kind: 'webauthn', ...verified }
  }
  if ('recoveryCode' in proof) {
    const codeHash = hashRecoveryCode(proof.recoveryCode)
    return await hasUnusedRecoveryCode(db, userId, codeHash) ? { kind: 'recovery_code', codeHash } : null
  }
  for (const factor of await listConfirmedFactors(db, userId)) {
    const secret = openSecret(secrets, factor.secret_encrypted, factor.id, userId)
    // A secret that does not open (moved between rows, or sealed under another key) proves nothing.
    if (secret === undefined) continue
    const step = matchingStep(secret, proof.code, nowMs)
    if (step !== null && step > factor.last_used_step) return { kind: 'totp', factorId: factor.id, step }
  }
  return null
}

function openSecret (secrets: KeyEncryption, sealed: string, factorId: string, userId: string): string | undefined {
  try {
    return secrets.decrypt(sealed, factorId, totpSecretAad(factorId, userId))
  } catch {
    return undefined
  }
}

/** Spends a checked proof; false when a concurrent request spent it first (single use, K1, K2). */
export async function consumeProof (trx: Kysely<Database>, userId: string, proof: AcceptedProof, now: Date): Promise<boolean> {
  if (proof.kind === 'webauthn') return true
  return proof.kind === 'totp'
    ? await acceptTotpStep(trx, proof.factorId, proof.step, now)
    : await useRecoveryCode(trx, userId, proof.codeHash, now)
}

/**
 * RFC 8176 methods of the factor itself: a TOTP or recovery code is an `otp`; a passkey is
 * `hwk`, plus `user` when the authenticator verified the user (PIN or biometric).
 */
export function amrOfProof (proof: AcceptedProof): string[] {
  if (proof.kind !== 'webauthn') return ['otp']
  return proof.userVerified ? ['hwk', 'user'] : ['hwk']
}

/** A password and a second factor (K4). */
export function amrWithSecondFactor (proof: AcceptedProof): string[] {
  return ['pwd', ...amrOfProof(proof), 'mfa']
}
