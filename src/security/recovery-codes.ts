import { createHash, randomBytes } from 'node:crypto'

/** How many codes a set holds (K2 asks for at least 10). */
export const RECOVERY_CODE_COUNT = 10
/** RFC 4648 base32 lower-cased: no 0/1/8/9 to misread, easy to type from paper. */
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567'

/**
 * One code: 16 base32 characters, 80 random bits (K2 asks for 50), shown as xxxx-xxxx-xxxx-xxxx.
 * With 80 bits, a stolen table of SHA-256 hashes cannot be reversed by brute force, so a fast
 * hash is enough and the check stays one indexed lookup.
 */
export function newRecoveryCode (): string {
  const bytes = randomBytes(10)
  let bits = 0
  let value = 0
  let out = ''
  for (const byte of bytes) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  return out.match(/.{4}/g)?.join('-') ?? out
}

export function newRecoveryCodeSet (): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode)
}

/** Case, dashes and spaces do not matter when a person types a code back. */
export function normalizeRecoveryCode (code: string): string {
  return code.toLowerCase().replace(/[\s-]/g, '')
}

export function hashRecoveryCode (code: string): string {
  return createHash('sha256').update(`recovery:${normalizeRecoveryCode(code)}`).digest('base64url')
}
