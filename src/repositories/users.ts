import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database, UserRow } from '../db/schema.js'
import { isUniqueViolation } from '../db/errors.js'
import type { AuditRow } from '../audit/audit-event.js'
import { insertAuditRows } from '../audit/audit-store.js'

export type Role = 'user' | 'admin'

export class UsernameTakenError extends Error {
  constructor () {
    super('username taken')
    this.name = 'UsernameTakenError'
  }
}

/** Usernames are ASCII letters, digits, '.', '_' and '-', compared case-insensitively. */
export function normalizeUsername (username: string): string {
  return username.toLowerCase()
}

export function parseRoles (stored: string): Role[] {
  const parsed: unknown = JSON.parse(stored)
  return Array.isArray(parsed) ? parsed.filter((role): role is Role => role === 'user' || role === 'admin') : []
}

export interface NewUser {
  username: string
  passwordHash: string
  roles: Role[]
}

/** A new account; `audit` builds the row written in the same transaction (J1). */
export async function createUser (db: Kysely<Database>, user: NewUser, audit?: (userId: string) => AuditRow): Promise<UserRow> {
  const now = new Date().toISOString()
  const row: UserRow = {
    id: randomUUID(),
    username: user.username,
    username_normalized: normalizeUsername(user.username),
    password_hash: user.passwordHash,
    roles: JSON.stringify(user.roles),
    disabled: 0,
    created_at: now,
    updated_at: now,
    last_login_at: null,
    auth_version: 0,
    email: null,
    email_normalized: null,
    email_verified: 0
  }
  try {
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('users').values(row).execute()
      if (audit !== undefined) await insertAuditRows(trx, [audit(row.id)])
    })
  } catch (error) {
    if (isUniqueViolation(error)) throw new UsernameTakenError()
    throw error
  }
  return row
}

export async function findUserByUsername (db: Kysely<Database>, username: string): Promise<UserRow | undefined> {
  return await db.selectFrom('users').selectAll().where('username_normalized', '=', normalizeUsername(username)).executeTakeFirst()
}

export async function findUserById (db: Kysely<Database>, id: string): Promise<UserRow | undefined> {
  return await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst()
}

/**
 * The atomic step of a sign-in (I1): records the login only while the account is still enabled
 * and still at the authentication epoch the caller read before its slow work (argon2). False
 * when a credential change came in between: the caller answers as for a wrong password.
 * In PostgreSQL this UPDATE also locks the user row until the caller's transaction ends, so a
 * concurrent change waits and then ends the session this transaction creates.
 */
export async function claimSignIn (db: Kysely<Database>, id: string, authVersion: number, now: Date, newPasswordHash?: string): Promise<boolean> {
  const at = now.toISOString()
  const result = await db.updateTable('users')
    .set(newPasswordHash === undefined ? { last_login_at: at } : { last_login_at: at, password_hash: newPasswordHash, updated_at: at })
    .where('id', '=', id).where('auth_version', '=', authVersion).where('disabled', '=', 0)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

/** Moves the user to a new authentication epoch; false when no such user. Must run inside the change's transaction. */
export async function bumpAuthEpoch (db: Kysely<Database>, id: string, now: Date): Promise<boolean> {
  const result = await db.updateTable('users')
    .set((eb) => ({ auth_version: eb('auth_version', '+', 1), updated_at: now.toISOString() }))
    .where('id', '=', id)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

/** Replaces the password hash only if it is still the one the caller verified; false otherwise (a concurrent change won). */
export async function replacePasswordHash (db: Kysely<Database>, id: string, verifiedHash: string, newHash: string): Promise<boolean> {
  const result = await db.updateTable('users').set({ password_hash: newHash })
    .where('id', '=', id).where('password_hash', '=', verifiedHash)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

/** Accounts that are enabled and hold the admin role (roles are stored as a JSON array). */
export async function countActiveAdmins (db: Kysely<Database>): Promise<number> {
  const row = await db.selectFrom('users').select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('disabled', '=', 0).where('roles', 'like', '%"admin"%')
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

export interface UserPagePosition {
  createdAt: string
  id: string
}

/** One page of every account, oldest first, keyset-paginated on (created_at, id); fetches limit + 1 to know if more follow. */
export async function listUsersPage (db: Kysely<Database>, limit: number, after?: UserPagePosition): Promise<{ rows: UserRow[], hasMore: boolean }> {
  let query = db.selectFrom('users').selectAll()
  if (after !== undefined) {
    query = query.where((eb) => eb.or([
      eb('created_at', '>', after.createdAt),
      eb.and([eb('created_at', '=', after.createdAt), eb('id', '>', after.id)])
    ]))
  }
  const rows = await query.orderBy('created_at', 'asc').orderBy('id', 'asc').limit(limit + 1).execute()
  return { rows: rows.slice(0, limit), hasMore: rows.length > limit }
}

export interface UserChanges {
  roles?: Role[]
  disabled?: boolean
}

/** Applies an administrator's changes; undefined when no such user exists. */
export async function updateUser (db: Kysely<Database>, id: string, changes: UserChanges): Promise<UserRow | undefined> {
  const set: { updated_at: string, roles?: string, disabled?: number } = { updated_at: new Date().toISOString() }
  if (changes.roles !== undefined) set.roles = JSON.stringify(changes.roles)
  if (changes.disabled !== undefined) set.disabled = changes.disabled ? 1 : 0
  const result = await db.updateTable('users').set(set).where('id', '=', id).executeTakeFirst()
  if (Number(result.numUpdatedRows) !== 1) return undefined
  return await findUserById(db, id)
}
