import { isBlockedPassword } from './password-blocklist.js'

export const PASSWORD_MAX_LENGTH = 128

export interface PolicyViolation {
  pointer: string
  message: string
}

/** Counts Unicode code points, as NIST SP 800-63B-4 does, not UTF-16 units. */
export function passwordLength (password: string): number {
  let count = 0
  for (const _ of password) count++
  return count
}

/**
 * The contract's policy: length bounds, any Unicode, no composition rules, no trimming,
 * refused when common/breached or when it contains the username (case-insensitively).
 */
export function checkPassword (password: string, username: string, minLength: number, pointer = '/password'): PolicyViolation[] {
  const length = passwordLength(password)
  if (length < minLength) return [{ pointer, message: `must be at least ${minLength} characters long` }]
  if (length > PASSWORD_MAX_LENGTH) return [{ pointer, message: `must be at most ${PASSWORD_MAX_LENGTH} characters long` }]
  const violations: PolicyViolation[] = []
  if (isBlockedPassword(password)) violations.push({ pointer, message: 'is too common: it appears in lists of breached passwords' })
  if (username.length > 0 && password.toLowerCase().includes(username.toLowerCase())) {
    violations.push({ pointer, message: 'must not contain the username' })
  }
  return violations
}
