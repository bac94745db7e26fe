import type { Authentication } from '../repositories/sessions.js'

/** RFC 9470 `acr` values of this API (the contract names them). */
export const ACR_PASSWORD = 'urn:secure-api:acr:password'
export const ACR_MFA = 'urn:secure-api:acr:mfa'

/** A password sign-in (RFC 8176 `pwd`), at `now`. */
export function passwordAuthentication (now: Date): Authentication {
  return { amr: ['pwd'], acr: ACR_PASSWORD, authTime: now }
}
