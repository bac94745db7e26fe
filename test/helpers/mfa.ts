import type { FastifyInstance } from 'fastify'
import { currentCode } from '../../src/security/totp.js'
import { bearer, type Tokens } from './users.js'
import { json } from './app.js'

const STEP_MS = 30_000

/**
 * The code of the time step `offset` steps from now. Each code works once (K1) and the server
 * accepts one step either side, so a test has three codes per 30 s: -1, 0 and +1, in that order.
 */
export function codeAt (secret: string, offset: -1 | 0 | 1): string {
  return currentCode(secret, Date.now() + offset * STEP_MS)
}

export interface EnrolledFactor {
  factorId: string
  secret: string
  recoveryCodes: string[]
}

/** Enrols and confirms a TOTP factor with the code of the previous step, leaving steps 0 and +1 usable. */
export async function enrolTotp (app: FastifyInstance, tokens: Tokens): Promise<EnrolledFactor> {
  const enrol = await app.inject({ method: 'POST', url: '/auth/mfa/totp', headers: bearer(tokens.access_token) })
  if (enrol.statusCode !== 201) throw new Error(`enrol failed: ${enrol.statusCode} ${enrol.body}`)
  const { factor_id: factorId, secret } = json<{ factor_id: string, secret: string }>(enrol)
  const confirm = await app.inject({ method: 'POST', url: `/auth/mfa/totp/${factorId}/confirm`, headers: bearer(tokens.access_token), payload: { code: codeAt(secret, -1) } })
  if (confirm.statusCode !== 200) throw new Error(`confirm failed: ${confirm.statusCode} ${confirm.body}`)
  return { factorId, secret, recoveryCodes: json<{ recovery_codes: string[] }>(confirm).recovery_codes }
}

export interface MfaChallengeBody { mfa_required: true, mfa_token: string, expires_in: number, methods: string[] }

/** POST /auth/login for an account with a second factor: the challenge, or a thrown error. */
export async function loginToChallenge (app: FastifyInstance, username: string, password: string): Promise<MfaChallengeBody> {
  const response = await app.inject({ method: 'POST', url: '/auth/login', payload: { username, password } })
  const body = json<MfaChallengeBody>(response)
  if (response.statusCode !== 200 || body.mfa_required !== true) throw new Error(`expected an MFA challenge: ${response.statusCode} ${response.body}`)
  return body
}

/** The claims of a JWT, unverified: tests read what the server put in. */
export function claimsOf (accessToken: string): Record<string, unknown> {
  const [, payload = ''] = accessToken.split('.')
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>
}
