import type { Kysely } from 'kysely'
import type { Database, SigningKeyRow } from '../db/schema.js'

/** Keys that may still verify (not retired), for one algorithm, oldest first. */
export async function listUsableKeys (db: Kysely<Database>, alg: string): Promise<SigningKeyRow[]> {
  return await db.selectFrom('signing_keys').selectAll()
    .where('alg', '=', alg).where('retired_at', 'is', null)
    .orderBy('signs_from', 'asc').orderBy('kid', 'asc')
    .execute()
}

export async function insertKey (db: Kysely<Database>, row: SigningKeyRow): Promise<void> {
  await db.insertInto('signing_keys').values(row).execute()
}

/** Marks a key retired; returns false when no usable key has that kid. */
export async function retireKey (db: Kysely<Database>, kid: string, at: string): Promise<boolean> {
  const result = await db.updateTable('signing_keys').set({ retired_at: at })
    .where('kid', '=', kid).where('retired_at', 'is', null)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

/** Stores a key sealed with kid, alg and use as associated data; only rows still sealed the old way change. */
export async function resealKey (db: Kysely<Database>, kid: string, privateKey: string): Promise<void> {
  await db.updateTable('signing_keys').set({ private_key: privateKey, aad_version: 1 })
    .where('kid', '=', kid).where('aad_version', '=', 0)
    .execute()
}
