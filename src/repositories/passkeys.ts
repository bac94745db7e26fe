import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import { isUniqueViolation } from '../db/errors.js'
import type { Database, PasskeyRow } from '../db/schema.js'

/** A user may keep at most this many passkeys (I5); each one is a row, and an allowCredentials entry. */
export const MAX_PASSKEYS_PER_USER = 20

/** The credential id is already registered (to this account or another one): unique, K6. */
export class CredentialTakenError extends Error {
  constructor () {
    super('credential id already registered')
    this.name = 'CredentialTakenError'
  }
}

/** The user already has MAX_PASSKEYS_PER_USER passkeys. */
export class PasskeyQuotaExceededError extends Error {
  constructor () {
    super('passkey quota exceeded')
    this.name = 'PasskeyQuotaExceededError'
  }
}

export interface NewPasskey {
  userId: string
  credentialId: string
  publicKey: string
  counter: number
  transports: string[]
  deviceType: string
  backedUp: boolean
  name: string
}

/**
 * Stores a verified credential. One statement counts and inserts (INSERT ... SELECT ... WHERE
 * count < max), as notes do; a credential id that exists already is a CredentialTakenError.
 */
export async function insertPasskey (db: Kysely<Database>, input: NewPasskey, now: Date): Promise<PasskeyRow> {
  const row: PasskeyRow = {
    id: randomUUID(),
    user_id: input.userId,
    credential_id: input.credentialId,
    public_key: input.publicKey,
    counter: input.counter,
    transports: JSON.stringify(input.transports),
    device_type: input.deviceType,
    backed_up: input.backedUp ? 1 : 0,
    name: input.name,
    created_at: now.toISOString(),
    last_used_at: null
  }
  let inserted: bigint
  try {
    const result = await db.insertInto('passkeys')
      .columns(['id', 'user_id', 'credential_id', 'public_key', 'counter', 'transports', 'device_type', 'backed_up', 'name', 'created_at', 'last_used_at'])
      .expression(db.selectNoFrom((eb) => [
        eb.val(row.id).as('id'),
        eb.val(row.user_id).as('user_id'),
        eb.val(row.credential_id).as('credential_id'),
        eb.val(row.public_key).as('public_key'),
        eb.val(input.counter).as('counter'),
        eb.val(row.transports).as('transports'),
        eb.val(row.device_type).as('device_type'),
        eb.val(row.backed_up).as('backed_up'),
        eb.val(row.name).as('name'),
        eb.val(row.created_at).as('created_at'),
        eb.val(null).as('last_used_at')
      ]).where((eb) => eb(
        eb.selectFrom('passkeys').select((count) => count.fn.countAll().as('n')).where('user_id', '=', input.userId),
        '<',
        MAX_PASSKEYS_PER_USER
      )))
      .executeTakeFirst()
    inserted = result.numInsertedOrUpdatedRows ?? 0n
  } catch (error) {
    if (isUniqueViolation(error)) throw new CredentialTakenError()
    throw error
  }
  if (inserted !== 1n) throw new PasskeyQuotaExceededError()
  return row
}

export async function findPasskeyByCredentialId (db: Kysely<Database>, credentialId: string): Promise<PasskeyRow | undefined> {
  return await db.selectFrom('passkeys').selectAll().where('credential_id', '=', credentialId).executeTakeFirst()
}

/** The user's passkeys, newest first (at most MAX_PASSKEYS_PER_USER). */
export async function listUserPasskeys (db: Kysely<Database>, userId: string): Promise<PasskeyRow[]> {
  return await db.selectFrom('passkeys').selectAll().where('user_id', '=', userId)
    .orderBy('created_at', 'desc').orderBy('id', 'desc')
    .limit(MAX_PASSKEYS_PER_USER)
    .execute()
}

export async function countUserPasskeys (db: Kysely<Database>, userId: string): Promise<number> {
  const row = await db.selectFrom('passkeys').select((eb) => eb.fn.countAll().as('n')).where('user_id', '=', userId).executeTakeFirstOrThrow()
  return Number(row.n)
}

/**
 * Records a use: the new counter and last_used_at, only while the counter is still the one the
 * verification compared against. Two assertions verified against the same stored counter cannot
 * both pass (the counter check is not a read-then-write race). False: someone else won.
 */
export async function recordPasskeyUse (db: Kysely<Database>, id: string, verifiedCounter: number, newCounter: number, backedUp: boolean, now: Date): Promise<boolean> {
  const result = await db.updateTable('passkeys')
    .set({ counter: newCounter, last_used_at: now.toISOString(), backed_up: backedUp ? 1 : 0 })
    .where('id', '=', id).where('counter', '=', verifiedCounter)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

/** Renames one of the user's own passkeys; undefined when it is not theirs. */
export async function renameOwnPasskey (db: Kysely<Database>, userId: string, id: string, name: string): Promise<PasskeyRow | undefined> {
  const result = await db.updateTable('passkeys').set({ name }).where('id', '=', id).where('user_id', '=', userId).executeTakeFirst()
  if (Number(result.numUpdatedRows) !== 1) return undefined
  return await db.selectFrom('passkeys').selectAll().where('id', '=', id).where('user_id', '=', userId).executeTakeFirst()
}

/** Deletes one of the user's own passkeys; false when it is not theirs (or already gone). */
export async function deleteOwnPasskey (db: Kysely<Database>, userId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom('passkeys').where('id', '=', id).where('user_id', '=', userId).executeTakeFirst()
  return Number(result.numDeletedRows) === 1
}
