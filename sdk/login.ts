import type { components } from './schema.js'

export type TokenResponse = components['schemas']['TokenResponse']
export type Credentials = components['schemas']['Credentials']

/**
 * The extension point for the second factor. The contract's second wave makes POST /auth/login
 * answer `MfaChallenge` instead of tokens for users with a confirmed second factor, and adds
 * `POST /auth/mfa/verify` `{mfa_token, code}` to finish the login. Neither exists in the API
 * yet, so the SDK ships no MFA call of its own: it recognises the challenge and hands it to the
 * `mfa` option, which answers with the TokenResponse of that step. When the routes land and
 * `npm run sdk:generate` has the `MfaChallenge` schema, replace this interface with
 * `components['schemas']['MfaChallenge']` and offer a default step built on `POST /auth/mfa/verify`.
 */
export interface MfaChallenge {
  mfa_required: true
  mfa_token: string
  expires_in: number
  methods: string[]
}

/** Completes a login that needs a second factor, e.g. by asking the user for a TOTP code. */
export type MfaStep = (challenge: MfaChallenge) => Promise<TokenResponse>

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
