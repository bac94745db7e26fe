import { createHash, randomBytes } from 'node:crypto'

/** 256 random bits, base64url: opaque to clients (RFC 9700 §4.14, requirement C1). */
export function generateRefreshToken (): string {
  return randomBytes(32).toString('base64url')
}

/**
 * Only this hash is stored. A fast hash is enough here: the token has 256 bits of entropy,
 * so there is nothing to brute-force, and lookups stay cheap.
 */
export function hashRefreshToken (token: string): string {
  return createHash('sha256').update(token).digest('base64url')
}
