import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { acceptTotpStep, hasUnusedRecoveryCode, listConfirmedFactors, useRecoveryCode } from '../repositories/second-factors.js'
import type { KeyEncryption } from '../security/key-encryption.js'
import { hashRecoveryCode } from '../security/recovery-codes.js'
import { matchingStep } from '../security/totp.js'

/** What a user may present as a second factor: a TOTP code or a recovery code. */
export type SecondFactorProof = { code: string } | { recoveryCode: string }

/** A proof that checked out, not yet used: `consumeProof` spends it inside the change's transaction. */
export type AcceptedProof =
  | { kind: 'totp', factorId: string, step: number }
  | { kind: 'recovery_code', codeHash: string }

/** The associated data that binds a sealed TOTP secret to its own row. */
export function totpSecretAad (factorId: string, userId: string): string {
  return `${factorId}|${userId}|totp`
}

/**
 * Checks a proof against the user's confirmed factors, without spending it. A TOTP code whose
 * time step is not later than the factor's last accepted one is a replay and fails (K1).
 */
export async function checkProof (db: Kysely<Database>, secrets: KeyEncryption, userId: string, proof: SecondFactorProof, nowMs: number): Promise<AcceptedProof | null> {
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
  return proof.kind === 'totp'
    ? await acceptTotpStep(trx, proof.factorId, proof.step, now)
    : await useRecoveryCode(trx, userId, proof.codeHash, now)
}

/** RFC 8176 methods for a second factor on top of a password: a TOTP or recovery code is an `otp`. */
export function amrWithSecondFactor (): string[] {
  return ['pwd', 'otp', 'mfa']
}
