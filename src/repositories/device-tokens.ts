import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database, DeviceTokenRow } from '../db/schema.js'
import { normalizeUsername } from './users.js'
import { generateRefreshToken as generateOpaqueToken, hashRefreshToken as hashOpaqueToken } from '../security/refresh-tokens.js'

/** How many devices a user's list shows; older ones still work until they expire. */
export const MAX_LISTED_DEVICES = 50

/**
 * The device a login presents, when it is a live token of the account the login names.
 * Anything else (unknown, expired, revoked, another user's) is treated as no token at all,
 * so the answer never tells whether a device token exists (I7).
 */
export async function findLoginDevice (db: Kysely<Database>, token: string, username: string, now: Date): Promise<{ id: string, userId: string } | undefined> {
  const nowIso = now.toISOString()
  const row = await db.selectFrom('device_tokens')
    .innerJoin('users', 'users.id', 'device_tokens.user_id')
    .select(['device_tokens.id as id', 'device_tokens.user_id as userId'])
    .where('device_tokens.token_hash', '=', hashOpaqueToken(token))
    .where('users.username_normalized', '=', normalizeUsername(username))
    .where('device_tokens.revoked_at', 'is', null)
    .where('device_tokens.expires_at', '>', nowIso)
    .executeTakeFirst()
  return row
}

export interface DeviceMeta {
  userAgent: string | null
  ip: string | null
}

/** A new device token: 256 random bits for the client, only its hash for us. */
export async function issueDeviceToken (db: Kysely<Database>, userId: string, meta: DeviceMeta, now: Date, ttlSeconds: number): Promise<{ id: string, token: string }> {
  const token = generateOpaqueToken()
  const id = randomUUID()
  const nowIso = now.toISOString()
  await db.insertInto('device_tokens').values({
    id,
    user_id: userId,
    token_hash: hashOpaqueToken(token),
    created_at: nowIso,
    last_used_at: nowIso,
    expires_at: new Date(now.getTime() + ttlSeconds * 1000).toISOString(),
    revoked_at: null,
    user_agent: meta.userAgent,
    ip: meta.ip
  }).execute()
  return { id, token }
}

/** A device that signed in again: its token lives on from now. */
export async function touchDeviceToken (db: Kysely<Database>, id: string, meta: DeviceMeta, now: Date, ttlSeconds: number): Promise<boolean> {
  const result = await db.updateTable('device_tokens')
    .set({ last_used_at: now.toISOString(), expires_at: new Date(now.getTime() + ttlSeconds * 1000).toISOString(), user_agent: meta.userAgent, ip: meta.ip })
    .where('id', '=', id).where('revoked_at', 'is', null)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

/** Ends every device token of a user (a credential change); returns how many. */
export async function revokeUserDeviceTokens (db: Kysely<Database>, userId: string, now: Date): Promise<number> {
  const result = await db.updateTable('device_tokens').set({ revoked_at: now.toISOString() })
    .where('user_id', '=', userId).where('revoked_at', 'is', null)
    .executeTakeFirst()
  return Number(result.numUpdatedRows)
}

/** Ends one of the user's own device tokens; false when it is not theirs or already ended. */
export async function revokeOwnDeviceToken (db: Kysely<Database>, userId: string, id: string, now: Date): Promise<boolean> {
  const result = await db.updateTable('device_tokens').set({ revoked_at: now.toISOString() })
    .where('id', '=', id).where('user_id', '=', userId).where('revoked_at', 'is', null)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

/** The user's live device tokens, most recently used first. */
export async function listLiveDeviceTokens (db: Kysely<Database>, userId: string, now: Date): Promise<DeviceTokenRow[]> {
  return await db.selectFrom('device_tokens').selectAll()
    .where('user_id', '=', userId).where('revoked_at', 'is', null).where('expires_at', '>', now.toISOString())
    .orderBy('last_used_at', 'desc').orderBy('id', 'desc')
    .limit(MAX_LISTED_DEVICES)
    .execute()
}
