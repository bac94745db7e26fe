import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database, UserRow } from '../db/schema.js'
import { isUniqueViolation } from '../db/errors.js'

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

export async function createUser (db: Kysely<Database>, user: NewUser): Promise<UserRow> {
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
    auth_version: 0
  }
  try {
    await db.insertInto('users').values(row).execute()
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

export async function recordLogin (db: Kysely<Database>, id: string, newPasswordHash?: string): Promise<void> {
  const now = new Date().toISOString()
  await db.updateTable('users')
    .set(newPasswordHash === undefined ? { last_login_at: now } : { last_login_at: now, password_hash: newPasswordHash, updated_at: now })
    .where('id', '=', id).execute()
}

export async function setPasswordHash (db: Kysely<Database>, id: string, passwordHash: string): Promise<void> {
  await db.updateTable('users').set({ password_hash: passwordHash, updated_at: new Date().toISOString() }).where('id', '=', id).execute()
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
