import { createRequire } from 'node:module'

/**
 * About 49,000 common and breached passwords from zxcvbn-ts (built from leaked-password
 * corpora), lower-cased, so "Password1" is refused like "password1" (NIST SP 800-63B-4 §3.1.1.2).
 *
 * Loaded on the first password check, not at start (issue 10, memory): the package holds every
 * zxcvbn dictionary (names, Wikipedia words...), of which only this list is used. Its module is
 * dropped from the require cache once the set is built, so the rest can be collected; a process
 * that never checks a password (a replica serving only /protected) never pays for it.
 */
let blocked: ReadonlySet<string> | undefined

function load (): ReadonlySet<string> {
  if (blocked !== undefined) return blocked
  const require = createRequire(import.meta.url)
  const resolved = require.resolve('@zxcvbn-ts/language-common')
  const { dictionary } = require(resolved) as { dictionary: Record<string, Array<string | number> | undefined> }
  blocked = new Set((dictionary['passwords-common'] ?? []).map((entry) => String(entry).toLowerCase()))
  // The set is all we keep: the module's other dictionaries become garbage.
  delete require.cache[resolved]
  return blocked
}

export function blocklistSize (): number {
  return load().size
}

export function isBlockedPassword (password: string): boolean {
  return load().has(password.toLowerCase())
}
