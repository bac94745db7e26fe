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
