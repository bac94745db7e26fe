import type { Insertable, Selectable, Updateable } from 'kysely'

/**
 * Table types shared by both dialects. Timestamps are RFC 3339 strings in UTC (toISOString),
 * which sort and compare correctly as text in SQLite and PostgreSQL alike. Booleans are
 * 0/1 integers for the same reason.
 */
export interface UsersTable {
  id: string
  username: string
  username_normalized: string
  password_hash: string
  roles: string
  disabled: number
  created_at: string
  updated_at: string
  last_login_at: string | null
}

export interface SessionsTable {
  id: string
  user_id: string
  created_at: string
  last_used_at: string
  expires_at: string
  idle_expires_at: string
  revoked_at: string | null
  revoked_reason: string | null
  user_agent: string | null
  ip: string | null
}

export interface RefreshTokensTable {
  token_hash: string
  session_id: string
  created_at: string
  rotated_at: string | null
}

export interface SigningKeysTable {
  kid: string
  alg: string
  public_jwk: string
  private_key: string
  created_at: string
  signs_from: string
  retired_at: string | null
}

export interface NotesTable {
  id: string
  owner_id: string
  title: string
  body: string
  created_at: string
  updated_at: string
}


export interface Database {
  users: UsersTable
  sessions: SessionsTable
  refresh_tokens: RefreshTokensTable
  signing_keys: SigningKeysTable
  notes: NotesTable
}

export type UserRow = Selectable<UsersTable>
export type NewUserRow = Insertable<UsersTable>
export type UserUpdate = Updateable<UsersTable>
export type SessionRow = Selectable<SessionsTable>
export type SigningKeyRow = Selectable<SigningKeysTable>
export type NoteRow = Selectable<NotesTable>
