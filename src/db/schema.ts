import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely'

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
  /** The authentication epoch: bumped by every change that must end sessions (I1). */
  auth_version: number
  /** The verified address as typed, or null; never an unverified one (K8). */
  email: string | null
  /** Lower case, unique: one address, one account. */
  email_normalized: string | null
  email_verified: number
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
  /** users.auth_version when the session was made; a bump ends it (I1). */
  auth_version: number
  /** JSON array of RFC 8176 method values; kept by refreshes (K4). */
  amr: string
  acr: string
  auth_time: string
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
  /** 1: the private key is sealed with kid, alg and use as associated data. */
  aad_version: number
}

export interface DeviceTokensTable {
  id: string
  user_id: string
  token_hash: string
  created_at: string
  last_used_at: string
  expires_at: string
  revoked_at: string | null
  user_agent: string | null
  ip: string | null
}

export interface AuditEventsTable {
  id: string
  at: string
  type: string
  outcome: string
  actor_id: string | null
  subject_id: string | null
  session_id: string | null
  ip: string | null
  user_agent: string | null
  /** This server's request id (never a client's unless a trusted proxy set it, J3). */
  request_id: string
  /** What the client sent as X-Request-Id, kept apart. */
  client_request_id: string | null
  /** JSON object. */
  details: string
  /** How many events an aggregated row stands for (J2); 1 otherwise. */
  count: number
  /** actor|type|minute on aggregated rows, null otherwise. */
  bucket: string | null
}

export interface NotesTable {
  id: string
  owner_id: string
  title: string
  body: string
  created_at: string
  updated_at: string
}

/** A second factor; TOTP only here (passkeys have their own table). */
export interface MfaFactorsTable {
  id: string
  user_id: string
  type: 'totp'
  name: string
  secret_encrypted: string
  confirmed_at: string | null
  last_used_step: Generated<number>
  created_at: string
  last_used_at: string | null
}

export interface RecoveryCodesTable {
  id: string
  user_id: string
  code_hash: string
  created_at: string
  used_at: string | null
}

export interface MfaChallengesTable {
  id: string
  token_hash: string
  user_id: string
  auth_version: number
  password_at: string
  device_id: string | null
  failed_attempts: Generated<number>
  created_at: string
  expires_at: string
  consumed_at: string | null
}

/** A WebAuthn credential of a user (issue 12). */
export interface PasskeysTable {
  id: string
  user_id: string
  /** base64url, unique across all users (K6). */
  credential_id: string
  /** The COSE public key, base64url. */
  public_key: string
  /** The signature counter: a bigint column, which pg returns as a string (read it with Number()). */
  counter: ColumnType<number | string, number, number>
  /** JSON array of AuthenticatorTransport values. */
  transports: string
  /** 'singleDevice' or 'multiDevice'. */
  device_type: string
  /** 0/1: the credential is backed up (synced). */
  backed_up: number
  name: string
  created_at: string
  last_used_at: string | null
}

/** A challenge handed out for a WebAuthn ceremony: single use, short lived (K6). */
export interface WebauthnChallengesTable {
  id: string
  /** base64url, as it comes back in clientDataJSON. */
  challenge: string
  purpose: 'registration' | 'authentication'
  /** The user it is bound to; null for a discoverable-credential login. */
  user_id: string | null
  expires_at: string
  consumed_at: string | null
  created_at: string
}

/** Single-use tokens sent by mail or handed over by an administrator (K7, K8). */
export interface RecoveryTokensTable {
  id: string
  purpose: 'email_verification' | 'password_reset'
  user_id: string
  /** SHA-256 (base64url) of the 256-bit token; the token itself is never stored. */
  token_hash: string
  /** The address being verified (email_verification only). */
  email: string | null
  expires_at: string
  consumed_at: string | null
  created_at: string
  /** The administrator who issued it (an out-of-band reset), or null for a mailed token. */
  created_by: string | null
}

export interface Database {
  users: UsersTable
  sessions: SessionsTable
  refresh_tokens: RefreshTokensTable
  signing_keys: SigningKeysTable
  notes: NotesTable
  device_tokens: DeviceTokensTable
  audit_events: AuditEventsTable
  mfa_factors: MfaFactorsTable
  recovery_codes: RecoveryCodesTable
  mfa_challenges: MfaChallengesTable
  passkeys: PasskeysTable
  webauthn_challenges: WebauthnChallengesTable
  recovery_tokens: RecoveryTokensTable
}

export type UserRow = Selectable<UsersTable>
export type NewUserRow = Insertable<UsersTable>
export type UserUpdate = Updateable<UsersTable>
export type SessionRow = Selectable<SessionsTable>
export type SigningKeyRow = Selectable<SigningKeysTable>
export type NoteRow = Selectable<NotesTable>
export type DeviceTokenRow = Selectable<DeviceTokensTable>
export type AuditEventRow = Selectable<AuditEventsTable>
export type MfaFactorRow = Selectable<MfaFactorsTable>
export type MfaChallengeRow = Selectable<MfaChallengesTable>
export type PasskeyRow = Selectable<PasskeysTable>
export type WebauthnChallengeRow = Selectable<WebauthnChallengesTable>
export type RecoveryTokenRow = Selectable<RecoveryTokensTable>
