import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database, SessionRow } from '../db/schema.js'
import { MAX_LISTED_SESSIONS } from '../schemas/sessions.js'
import { generateRefreshToken, hashRefreshToken } from '../security/refresh-tokens.js'
import type { AuditRow } from '../audit/audit-event.js'
import { insertAuditRows } from '../audit/audit-store.js'

export interface SessionLifetimes {
  /** Absolute lifetime in seconds (REFRESH_TOKEN_TTL): never extended. */
  absoluteSeconds: number
  /** Idle limit in seconds: each refresh moves it, up to the absolute end. */
  idleSeconds: number
}

/** The lifetimes the configuration sets for every session. */
export function sessionLifetimes (config: { REFRESH_TOKEN_TTL: number, REFRESH_TOKEN_IDLE_TTL: number }): SessionLifetimes {
  return { absoluteSeconds: config.REFRESH_TOKEN_TTL, idleSeconds: config.REFRESH_TOKEN_IDLE_TTL }
}

/** How the user proved who they are (RFC 8176 amr, RFC 9470 acr and auth_time, K4). */
export interface Authentication {
  amr: string[]
  acr: string
  authTime: Date
}

export interface NewSession {
  userId: string
  userAgent: string | null
  ip: string | null
  /** The user's authentication epoch the sign-in verified against (I1). */
  authVersion: number
  authentication: Authentication
}

/** Where a refresh came from; the session records the latest. */
export type ClientInfo = Pick<NewSession, 'userAgent' | 'ip'>

export interface IssuedSession {
  session: SessionRow
  refreshToken: string
}

function idleDeadline (from: Date, lifetimes: SessionLifetimes, absoluteEnd: string): string {
  const idle = new Date(from.getTime() + lifetimes.idleSeconds * 1000).toISOString()
  return idle < absoluteEnd ? idle : absoluteEnd
}

/**
 * A login: a new session (never an extension of an old one, C7) and its first refresh token.
 * Call it inside the transaction that claimed the sign-in (users.claimSignIn), never alone.
 */
export async function insertSession (trx: Kysely<Database>, input: NewSession, lifetimes: SessionLifetimes, now: Date): Promise<IssuedSession> {
  const createdAt = now.toISOString()
  const expiresAt = new Date(now.getTime() + lifetimes.absoluteSeconds * 1000).toISOString()
  const session: SessionRow = {
    id: randomUUID(),
    user_id: input.userId,
    created_at: createdAt,
    last_used_at: createdAt,
    expires_at: expiresAt,
    idle_expires_at: idleDeadline(now, lifetimes, expiresAt),
    revoked_at: null,
    revoked_reason: null,
    user_agent: input.userAgent,
    ip: input.ip,
    auth_version: input.authVersion,
    amr: JSON.stringify(input.authentication.amr),
    acr: input.authentication.acr,
    auth_time: input.authentication.authTime.toISOString()
  }
  const refreshToken = generateRefreshToken()
  await trx.insertInto('sessions').values(session).execute()
  await trx.insertInto('refresh_tokens').values({ token_hash: hashRefreshToken(refreshToken), session_id: session.id, created_at: createdAt, rotated_at: null }).execute()
  return { session, refreshToken }
}

/** What a session says about how its user authenticated (K4); a refresh keeps it. */
export function sessionAuthentication (session: SessionRow): Authentication {
  const parsed: unknown = JSON.parse(session.amr)
  return {
    amr: Array.isArray(parsed) ? parsed.filter((value): value is string => typeof value === 'string') : [],
    acr: session.acr,
    authTime: new Date(session.auth_time)
  }
}

export interface RotationHooks {
  /** Tests only: pauses a refresh between its read and its transaction, to force a race (I1). */
  beforeRotation?: (session: SessionRow) => Promise<void>
  /** The audit row of a successful rotation, written in its transaction (J1). */
  auditRow?: (session: SessionRow, username: string) => AuditRow
}

export type RotationResult =
  | { outcome: 'rotated', session: SessionRow, refreshToken: string }
  | { outcome: 'reused', session: SessionRow }
  | { outcome: 'invalid' }
  /** The session was live but its account is disabled, deleted or at a newer epoch: the caller ends it. */
  | { outcome: 'stale', session: SessionRow }

/**
 * Single-use rotation (RFC 9700 §4.14.2). The conditional UPDATE is the atomic step in both
 * dialects: of concurrent callers with one token, exactly one changes the row (C4). A token
 * that was already rotated is a replay: the caller revokes the whole session (C3).
 * The session row is then updated only while it is still live, inside the same transaction:
 * in PostgreSQL that UPDATE waits on the row lock of a concurrent revocation and re-checks
 * its WHERE clause, so a session revoked mid-refresh never hands out a new token.
 */
export async function rotateRefreshToken (
  db: Kysely<Database>,
  presented: string,
  lifetimes: SessionLifetimes,
  meta: ClientInfo,
  hooks: RotationHooks = {}
): Promise<RotationResult> {
  const tokenHash = hashRefreshToken(presented)
  const now = new Date()
  const nowIso = now.toISOString()
  const row = await db.selectFrom('refresh_tokens')
    .innerJoin('sessions', 'sessions.id', 'refresh_tokens.session_id')
    .leftJoin('users', 'users.id', 'sessions.user_id')
    .select(['refresh_tokens.rotated_at as token_rotated_at', 'users.username as account_username'])
    .selectAll('sessions')
    .where('refresh_tokens.token_hash', '=', tokenHash)
    .executeTakeFirst()
  if (row === undefined) return { outcome: 'invalid' }
  const { token_rotated_at: rotatedAt, account_username: username, ...session } = row
  if (session.revoked_at !== null || session.expires_at <= nowIso || session.idle_expires_at <= nowIso) return { outcome: 'invalid' }
  if (rotatedAt !== null) return { outcome: 'reused', session }

  await hooks.beforeRotation?.(session)
  const nextToken = generateRefreshToken()
  const idleExpiresAt = idleDeadline(now, lifetimes, session.expires_at)
  const result = await db.transaction().execute(async (trx): Promise<RotationResult> => {
    const claimed = await trx.updateTable('refresh_tokens').set({ rotated_at: nowIso })
      .where('token_hash', '=', tokenHash).where('rotated_at', 'is', null)
      .executeTakeFirst()
    // Lost the race to a concurrent refresh with the same token: that is a replay too.
    if (Number(claimed.numUpdatedRows) !== 1) return { outcome: 'reused', session }
    const touched = await trx.updateTable('sessions').set({ last_used_at: nowIso, idle_expires_at: idleExpiresAt, user_agent: meta.userAgent, ip: meta.ip })
      .where('id', '=', session.id).where('revoked_at', 'is', null)
      .where('expires_at', '>', nowIso).where('idle_expires_at', '>', nowIso)
      // Still at the account's authentication epoch, and the account still enabled (I1).
      .where((eb) => eb.exists(eb.selectFrom('users').select('users.id')
        .whereRef('users.id', '=', 'sessions.user_id').whereRef('users.auth_version', '=', 'sessions.auth_version')
        .where('users.disabled', '=', 0)))
      .executeTakeFirst()
    // Revoked, expired or out of epoch between the read above and now: no new token for it.
    if (Number(touched.numUpdatedRows) !== 1) {
      const still = await trx.selectFrom('sessions').select('id').where('id', '=', session.id).where('revoked_at', 'is', null).executeTakeFirst()
      return still === undefined ? { outcome: 'invalid' } : { outcome: 'stale', session }
    }
    await trx.insertInto('refresh_tokens').values({ token_hash: hashRefreshToken(nextToken), session_id: session.id, created_at: nowIso, rotated_at: null }).execute()
    if (hooks.auditRow !== undefined) await insertAuditRows(trx, [hooks.auditRow(session, username ?? '')])
    return { outcome: 'rotated', session: { ...session, last_used_at: nowIso, idle_expires_at: idleExpiresAt, user_agent: meta.userAgent, ip: meta.ip }, refreshToken: nextToken }
  })
  return result
}

/** Ends one session; returns false when it was not live. */
export async function revokeSession (db: Kysely<Database>, sessionId: string, reason: string): Promise<boolean> {
  const result = await db.updateTable('sessions').set({ revoked_at: new Date().toISOString(), revoked_reason: reason })
    .where('id', '=', sessionId).where('revoked_at', 'is', null)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

/** Ends every live session of a user; returns the ids ended (RETURNING: no gap between read and write). */
export async function revokeUserSessions (db: Kysely<Database>, userId: string, reason: string): Promise<string[]> {
  const rows = await db.updateTable('sessions').set({ revoked_at: new Date().toISOString(), revoked_reason: reason })
    .where('user_id', '=', userId).where('revoked_at', 'is', null)
    .returning('id')
    .execute()
  return rows.map((row) => row.id)
}

/** Ends one of the user's own sessions; false when it is not theirs or already ended (the caller answers 404). */
export async function revokeOwnSession (db: Kysely<Database>, userId: string, sessionId: string, reason: string): Promise<boolean> {
  const result = await db.updateTable('sessions').set({ revoked_at: new Date().toISOString(), revoked_reason: reason })
    .where('id', '=', sessionId).where('user_id', '=', userId).where('revoked_at', 'is', null)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

/** The user's sessions that can still refresh, newest first. */
export async function listLiveSessions (db: Kysely<Database>, userId: string): Promise<SessionRow[]> {
  const now = new Date().toISOString()
  return await db.selectFrom('sessions').selectAll()
    .where('user_id', '=', userId).where('revoked_at', 'is', null)
    .where('expires_at', '>', now).where('idle_expires_at', '>', now)
    .orderBy('created_at', 'desc').orderBy('id', 'desc')
    .limit(MAX_LISTED_SESSIONS)
    .execute()
}

/** Sessions revoked at or after `since` (ISO), for the in-memory revocation list. */
export async function listRevokedSince (db: Kysely<Database>, since: string): Promise<Array<{ id: string, revoked_at: string }>> {
  const rows = await db.selectFrom('sessions').select(['id', 'revoked_at']).where('revoked_at', '>=', since).execute()
  return rows.flatMap((row) => row.revoked_at === null ? [] : [{ id: row.id, revoked_at: row.revoked_at }])
}

/**
 * A fresh authentication inside a live session (RFC 9470 step-up): the session records it and
 * gets a new refresh token; the previous one counts as rotated, so presenting it later is a
 * replay (C3). Only while the session is live and at the account's epoch (I1); undefined otherwise.
 */
export async function reauthenticateSession (
  trx: Kysely<Database>,
  sessionId: string,
  userId: string,
  authentication: Authentication,
  now: Date
): Promise<IssuedSession | undefined> {
  const nowIso = now.toISOString()
  const session = await trx.updateTable('sessions')
    .set({ amr: JSON.stringify(authentication.amr), acr: authentication.acr, auth_time: authentication.authTime.toISOString(), last_used_at: nowIso })
    .where('id', '=', sessionId).where('user_id', '=', userId).where('revoked_at', 'is', null)
    .where('expires_at', '>', nowIso).where('idle_expires_at', '>', nowIso)
    .where((eb) => eb.exists(eb.selectFrom('users').select('users.id')
      .whereRef('users.id', '=', 'sessions.user_id').whereRef('users.auth_version', '=', 'sessions.auth_version')
      .where('users.disabled', '=', 0)))
    .returningAll()
    .executeTakeFirst()
  if (session === undefined) return undefined
  await trx.updateTable('refresh_tokens').set({ rotated_at: nowIso }).where('session_id', '=', sessionId).where('rotated_at', 'is', null).execute()
  const refreshToken = generateRefreshToken()
  await trx.insertInto('refresh_tokens').values({ token_hash: hashRefreshToken(refreshToken), session_id: sessionId, created_at: nowIso, rotated_at: null }).execute()
  return { session, refreshToken }
}
