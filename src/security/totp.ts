import { Secret, TOTP } from 'otpauth'

/**
 * RFC 6238 as every authenticator app implements it: HMAC-SHA-1, 6 digits, 30-second steps
 * (K1). A secret of 160 bits, the HMAC-SHA-1 block the RFC 4226 §4 recommends.
 */
const ALGORITHM = 'SHA1'
const DIGITS = 6
const PERIOD_SECONDS = 30
/** One step either side: a phone clock a little off, or a code typed as it changes. */
const DRIFT_STEPS = 1

export function newTotpSecret (): string {
  // otpauth draws the bytes from node:crypto's CSPRNG.
  return new Secret({ size: 20 }).base32
}

function totp (secretBase32: string, label = 'account', issuer = 'secure-api'): TOTP {
  return new TOTP({ issuer, label, algorithm: ALGORITHM, digits: DIGITS, period: PERIOD_SECONDS, secret: Secret.fromBase32(secretBase32) })
}

/** The Key Uri Format that authenticator apps read from a QR code. */
export function otpauthUri (secretBase32: string, issuer: string, accountName: string): string {
  return totp(secretBase32, accountName, issuer).toString()
}

/** The RFC 6238 time step of `nowMs`. */
export function timeStep (nowMs: number): number {
  return Math.floor(nowMs / 1000 / PERIOD_SECONDS)
}

/**
 * The time step whose code `code` is, within the allowed drift, or null. The caller accepts it
 * only for a step later than the last one accepted for this factor, so a code works once.
 */
export function matchingStep (secretBase32: string, code: string, nowMs: number): number | null {
  const delta = totp(secretBase32).validate({ token: code, timestamp: nowMs, window: DRIFT_STEPS })
  return delta === null ? null : timeStep(nowMs) + delta
}

/** The current code: for tests and the curl example's helper, never sent by the server. */
export function currentCode (secretBase32: string, nowMs = Date.now()): string {
  return totp(secretBase32).generate({ timestamp: nowMs })
}
