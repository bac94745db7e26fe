import type { Client } from 'openapi-fetch'
import type { TokenResponse } from './login.js'
import { unwrap } from './problems.js'
import type { components, paths } from './schema.js'

export type Passkey = components['schemas']['Passkey']
export type PasskeyCreationOptions = components['schemas']['PublicKeyCredentialCreationOptionsJSON']
export type PasskeyRequestOptions = components['schemas']['PublicKeyCredentialRequestOptionsJSON']
export type RegistrationResponseJSON = components['schemas']['RegistrationResponseJSON']
export type AuthenticationResponseJSON = components['schemas']['AuthenticationResponseJSON']

/**
 * The browser's half of an enrolment: navigator.credentials.create() for these options, as
 * JSON. With @simplewebauthn/browser: `(optionsJSON) => startRegistration({ optionsJSON })`.
 * The SDK does not bundle it, so it runs anywhere (and tests pass a software authenticator).
 */
export type CreatePasskeyCredential = (options: PasskeyCreationOptions) => Promise<RegistrationResponseJSON>

/** The browser's half of a login: navigator.credentials.get(). With @simplewebauthn/browser: `(optionsJSON) => startAuthentication({ optionsJSON })`. */
export type GetPasskeyAssertion = (options: PasskeyRequestOptions) => Promise<AuthenticationResponseJSON>

/**
 * Enrols a passkey for the signed-in user: creation options (the session needs a recent
 * authentication, RFC 9470 step-up: a fresh login is one), the browser's ceremony, then the
 * verification. Resolves to the stored Passkey; refusals throw ApiProblemError.
 */
export async function enrolPasskey (client: Client<paths>, create: CreatePasskeyCredential, name?: string): Promise<Passkey> {
  const options = unwrap(await client.POST('/auth/passkeys/registration/options'))
  const response = await create(options)
  return unwrap(await client.POST('/auth/passkeys', { body: { response, ...(name === undefined ? {} : { name }) } }))
}

/**
 * A passwordless login: options for any discoverable passkey of this site, the browser's
 * ceremony (the user picks a passkey and verifies), then the assertion with its challenge_id.
 * Resolves to the TokenResponse (amr hwk and user); refusals throw ApiProblemError (401).
 */
export async function passkeyLogin (client: Client<paths>, get: GetPasskeyAssertion): Promise<TokenResponse> {
  const { challenge_id: challengeId, ...options } = unwrap(await client.POST('/auth/passkeys/login/options', { body: {} }))
  const response = await get(options)
  return unwrap(await client.POST('/auth/passkeys/login', { body: { challenge_id: challengeId, response } }))
}
