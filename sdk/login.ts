import type { components } from './schema.js'

export type TokenResponse = components['schemas']['TokenResponse']
export type Credentials = components['schemas']['Credentials']
export type LoginRequest = components['schemas']['LoginRequest']
/** POST /auth/login's answer for an account with a second factor: no tokens yet. */
export type MfaChallenge = components['schemas']['MfaChallenge']
/** What finishes the MFA step: a TOTP code, one recovery code, or a passkey assertion (options from POST /auth/mfa/webauthn/options). */
export type MfaAnswer = { code: string } | { recovery_code: string } | { webauthn: components['schemas']['AuthenticationResponseJSON'] }
/** What POST /auth/reauthenticate takes (RFC 9470 step-up). */
export type ReauthenticateRequest = components['schemas']['ReauthenticateRequest']

/**
 * Asks the user for the second factor of a login, e.g. a code from their authenticator app.
 * The client sends it to POST /auth/mfa/verify with the challenge's mfa_token.
 */
export type MfaStep = (challenge: MfaChallenge) => Promise<MfaAnswer>

/** The login needs a second factor and the client was given no `mfa` step. */
export class MfaRequiredError extends Error {
  readonly challenge: MfaChallenge

  constructor (challenge: MfaChallenge) {
    super(`This account needs a second factor (${challenge.methods.join(', ')}); pass an mfa step to the client.`)
    this.name = 'MfaRequiredError'
    this.challenge = challenge
  }
}

export function isMfaChallenge (body: unknown): body is MfaChallenge {
  return typeof body === 'object' && body !== null && (body as Record<string, unknown>).mfa_required === true &&
    typeof (body as Record<string, unknown>).mfa_token === 'string'
}
