import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { countUnusedRecoveryCodes, listConfirmedFactors } from '../repositories/second-factors.js'

/** The second factors a login may be finished with, in the contract's names. */
export type MfaMethod = 'totp' | 'webauthn' | 'recovery_code'

/**
 * What the user can finish a login with; empty when the account has no confirmed second factor
 * (then a password alone signs in). Recovery codes count only beside a real factor.
 */
export async function secondFactorMethods (db: Kysely<Database>, userId: string): Promise<MfaMethod[]> {
  const methods: MfaMethod[] = []
  if ((await listConfirmedFactors(db, userId)).length > 0) methods.push('totp')
  if (methods.length > 0 && await countUnusedRecoveryCodes(db, userId) > 0) methods.push('recovery_code')
  return methods
}
