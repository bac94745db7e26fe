import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { json } from './app.js'
import { bearer } from './users.js'
import { SoftwareAuthenticator, type Algorithm, type Tweaks } from './webauthn-authenticator.js'

/** The relying party of a test app with default settings (NODE_ENV=test, PORT 3000). */
export const TEST_RP_ID = 'localhost'
export const TEST_ORIGIN = 'http://localhost:3000'

export function newAuthenticator (alg: Algorithm = 'ES256'): SoftwareAuthenticator {
  return new SoftwareAuthenticator(TEST_RP_ID, TEST_ORIGIN, alg)
}

export interface CreationOptions {
  challenge: string
  user: { id: string, name: string }
  rp: { id: string, name: string }
  pubKeyCredParams: Array<{ alg: number }>
  excludeCredentials?: Array<{ id: string }>
  authenticatorSelection?: Record<string, unknown>
  timeout?: number
}
export interface LoginOptions { challenge: string, challenge_id: string, userVerification?: string, allowCredentials?: unknown[], rpId?: string, timeout?: number }

export async function registrationOptions (app: FastifyInstance, accessToken: string): Promise<CreationOptions> {
  const response = await app.inject({ method: 'POST', url: '/auth/passkeys/registration/options', headers: bearer(accessToken) })
  if (response.statusCode !== 200) throw new Error(`registration options: ${response.statusCode} ${response.body}`)
  return json<CreationOptions>(response)
}

export async function submitRegistration (app: FastifyInstance, accessToken: string, body: Record<string, unknown>): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'POST', url: '/auth/passkeys', headers: bearer(accessToken), payload: body })
}

/** Options, the authenticator's answer, and the verification: the passkey's id. */
export async function enrolPasskey (app: FastifyInstance, accessToken: string, authenticator: SoftwareAuthenticator, name?: string): Promise<string> {
  const options = await registrationOptions(app, accessToken)
  const response = await submitRegistration(app, accessToken, { response: authenticator.register(options), ...(name === undefined ? {} : { name }) })
  if (response.statusCode !== 201) throw new Error(`register passkey: ${response.statusCode} ${response.body}`)
  return json<{ id: string }>(response).id
}

export async function loginOptions (app: FastifyInstance): Promise<LoginOptions> {
  const response = await app.inject({ method: 'POST', url: '/auth/passkeys/login/options', payload: {} })
  if (response.statusCode !== 200) throw new Error(`login options: ${response.statusCode} ${response.body}`)
  return json<LoginOptions>(response)
}

export async function submitLogin (app: FastifyInstance, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'POST', url: '/auth/passkeys/login', payload: body, headers })
}

/** A whole passwordless login with this authenticator, bent by `tweaks`. */
export async function passkeyLogin (app: FastifyInstance, authenticator: SoftwareAuthenticator, tweaks: Tweaks = {}): Promise<LightMyRequestResponse> {
  const options = await loginOptions(app)
  return await submitLogin(app, { challenge_id: options.challenge_id, response: authenticator.assert(options, tweaks) })
}
