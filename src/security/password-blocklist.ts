import { dictionary } from '@zxcvbn-ts/language-common'

/**
 * About 49,000 common and breached passwords from zxcvbn-ts (built from leaked-password
 * corpora), lower-cased, so "Password1" is refused like "password1" (NIST SP 800-63B-4 §3.1.1.2).
 */
const blocked: ReadonlySet<string> = new Set(
  (dictionary['passwords-common'] ?? []).map((entry) => String(entry).toLowerCase())
)

export function blocklistSize (): number {
  return blocked.size
}

export function isBlockedPassword (password: string): boolean {
  return blocked.has(password.toLowerCase())
}
