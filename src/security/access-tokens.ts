import { randomUUID } from 'node:crypto'
import { createSigner } from 'fast-jwt'
import type { Role } from '../repositories/users.js'
import type { Authentication } from '../repositories/sessions.js'
import type { Keyring } from './keyring.js'

/** RFC 9068 §2.1: the media type that marks a JWT as an access token. */
export const ACCESS_TOKEN_TYP = 'at+jwt'
/** Clock leeway for exp/nbf/iat, kept small (A5). */
export const LEEWAY_SECONDS = 5

export interface AccessTokenClaims {
  iss: string
  aud: string
  sub: string
  iat: number
  exp: number
  jti: string
  sid: string
  roles: Role[]
  preferred_username: string
  /** RFC 8176 methods, RFC 9470 class and time of the authentication (K4); absent only from tokens issued before they existed. */
  amr: string[]
  acr: string | undefined
  auth_time: number | undefined
}

export interface AccessTokenSettings {
  issuer: string
  audience: string
  ttlSeconds: number
}

export interface TokenSubject {
  userId: string
  username: string
  roles: Role[]
  sessionId: string
  authentication: Authentication
}

type Sign = (payload: Record<string, unknown>) => string

/** Signs access tokens with the keyring's current key; one fast-jwt signer per kid. */
export class AccessTokenIssuer {
  private readonly signers = new Map<string, Sign>()

  constructor (private readonly keyring: Keyring, private readonly settings: AccessTokenSettings) {}

  issue (subject: TokenSubject): string {
    const { kid, key } = this.keyring.signingKey()
    let sign = this.signers.get(kid)
    if (sign === undefined) {
      sign = createSigner<Record<string, unknown>>({
        key,
        algorithm: this.keyring.alg,
        kid,
        iss: this.settings.issuer,
        aud: this.settings.audience,
        expiresIn: this.settings.ttlSeconds * 1000,
        header: { alg: this.keyring.alg, typ: ACCESS_TOKEN_TYP }
      })
      this.signers.set(kid, sign)
    }
    return sign({
      sub: subject.userId,
      jti: randomUUID(),
      sid: subject.sessionId,
      roles: subject.roles,
      // Lets /protected answer without a database read; usernames never change.
      preferred_username: subject.username,
      amr: subject.authentication.amr,
      acr: subject.authentication.acr,
      auth_time: Math.floor(subject.authentication.authTime.getTime() / 1000)
    })
  }
}

function isStringArray (value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string')
}

/**
 * Checks fast-jwt does not make: claim types (A6), `iat` not in the future and a lifetime no
 * longer than ours (A5). Runs on every request, cache hit or not, so it is cheap.
 */
export function checkClaims (payload: unknown, settings: AccessTokenSettings, nowSeconds: number, leewaySeconds: number): AccessTokenClaims | undefined {
  if (payload === null || typeof payload !== 'object') return undefined
  const claims = payload as Record<string, unknown>
  const { sub, sid, jti, iat, exp, roles, preferred_username: username, amr, acr, auth_time: authTime } = claims
  if (typeof sub !== 'string' || typeof sid !== 'string' || typeof jti !== 'string') return undefined
  if (typeof iat !== 'number' || typeof exp !== 'number' || !Number.isFinite(iat) || !Number.isFinite(exp)) return undefined
  if (typeof username !== 'string' || !isStringArray(roles)) return undefined
  if (amr !== undefined && !isStringArray(amr)) return undefined
  if (acr !== undefined && typeof acr !== 'string') return undefined
  if (authTime !== undefined && (typeof authTime !== 'number' || !Number.isFinite(authTime))) return undefined
  if (iat > nowSeconds + leewaySeconds) return undefined
  if (exp - iat > settings.ttlSeconds + leewaySeconds) return undefined
  return {
    iss: settings.issuer,
    aud: settings.audience,
    sub,
    sid,
    jti,
    iat,
    exp,
    roles: roles.filter((role): role is Role => role === 'user' || role === 'admin'),
    preferred_username: username,
    amr: amr ?? [],
    acr,
    auth_time: authTime
  }
}

interface VerifiedEntry { claims: AccessTokenClaims, validUntilMs: number }

/**
 * Tokens already verified (signature, alg, typ, iss, aud, required claims by @fastify/jwt,
 * then checkClaims), keyed by the exact token text: a repeated token costs a Map lookup instead
 * of @fastify/jwt's per-request decode, option merging and callbacks and fast-jwt's SHA-512 of
 * the whole token for its own cache key (issue 10, measured). The whole token is the key, so two
 * different tokens can never share an entry (the bug class of GHSA-rp9m-7r4c-75qg is a key that
 * drops part of the token). Entries end with the token's validity and, like fast-jwt's cache,
 * within KEY_REFRESH_INTERVAL, so a retired key stops verifying on the same schedule. Only
 * successes are kept; revocation is never cached (A9): the guard checks it on every request.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, VerifiedEntry>()

  constructor (private readonly maxEntries: number, private readonly ttlMs: number, private readonly maxAgeMs: number, private readonly leewayMs: number) {}

  get (token: string, nowMs: number): AccessTokenClaims | undefined {
    const entry = this.entries.get(token)
    if (entry === undefined) return undefined
    if (nowMs <= entry.validUntilMs) return entry.claims
    this.entries.delete(token)
    return undefined
  }

  set (token: string, claims: AccessTokenClaims, nowMs: number): void {
    // The same bounds as fast-jwt's verify cache: exp (with the leeway), iat + maxAge, the key refresh interval.
    const validUntilMs = Math.min(nowMs + this.ttlMs, claims.exp * 1000 + this.leewayMs, claims.iat * 1000 + this.maxAgeMs)
    if (validUntilMs < nowMs) return
    // Bounded: the oldest entry goes first (Map keeps insertion order), so a flood of valid tokens cannot grow it.
    if (this.entries.size >= this.maxEntries && !this.entries.has(token)) {
      const oldest = this.entries.keys().next()
      if (oldest.done !== true) this.entries.delete(oldest.value)
    }
    // Shared by every request that presents the token: nobody may change it.
    Object.freeze(claims.roles)
    Object.freeze(claims.amr)
    this.entries.set(token, { claims: Object.freeze(claims), validUntilMs })
  }

  get size (): number {
    return this.entries.size
  }
}
