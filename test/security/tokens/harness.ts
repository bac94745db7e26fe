import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import type { Config } from '../../../src/config.js'
import { invalidToken, REALM } from '../../../src/lib/problems.js'
import type { SigningMaterial } from '../../../src/security/keyring.js'
import { buildTestApp, json } from '../../helpers/app.js'
import { decodeJwt, forge, signerFor, type JsonObject, type SignWith } from '../../helpers/jwt-forge.js'
import { registerAndLogin, type RegisteredUser, type Tokens } from '../../helpers/users.js'

/** Every algorithm the contract lets an operator choose; each battery runs under all of them. */
export const ALGORITHMS = ['EdDSA', 'ES256', 'RS256', 'HS256'] as const
export type Algorithm = typeof ALGORITHMS[number]

export function algorithmEnv (alg: Algorithm): Record<string, string> {
  return alg === 'HS256' ? { JWT_ALG: alg, JWT_SECRET: randomBytes(32).toString('base64url') } : { JWT_ALG: alg }
}

/** Text that would betray the JWT library or a code path to a client (B4). */
export const LIBRARY_TEXT = /fast[-_ ]?jwt|FST_JWT|FAST_JWT|Authorization token|TokenError|node_modules|\bat [\w.<>]+ \(|\.ts:\d+|\.js:\d+|stack/i

export interface TokenLab {
  app: FastifyInstance
  config: Config
  alg: Algorithm
  user: RegisteredUser
  tokens: Tokens
  /** The claims of the valid access token the app issued. */
  claims: Record<string, unknown>
  /** The real current signing key (private PEM, or the HS256 secret). */
  realKey: SigningMaterial
  realSigner: SignWith
  /** A token signed with the REAL key: the valid token's header and claims with patches (undefined deletes). */
  forgeWithRealKey: (headerPatch?: JsonObject, claimsPatch?: JsonObject) => string
  /** Every log line the app wrote so far, parsed. */
  logs: () => Array<Record<string, unknown>>
  /** How many hostile tokens expectRejected has sent to this lab. */
  stats: { rejected: number }
}

function patched (base: Record<string, unknown>, patch: JsonObject): JsonObject {
  const result = { ...base } as JsonObject
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) Reflect.deleteProperty(result, key)
    else result[key] = value
  }
  return result
}

/** A real app under `alg`, a real user and a real token: the control every hostile token is measured against. */
export async function tokenLab (t: Test, alg: Algorithm, overrides: Record<string, string> = {}): Promise<TokenLab> {
  const built = await buildTestApp(t, { ...algorithmEnv(alg), ...overrides })
  const { app } = built
  await app.ready()
  const user = await registerAndLogin(app, `lab${alg.toLowerCase()}`)
  const decoded = decodeJwt(user.tokens.access_token)
  const realKey = app.keyring.signingKey()
  const realSigner = signerFor(alg, realKey.key)
  const lab: TokenLab = {
    app,
    config: built.config,
    alg,
    user,
    tokens: user.tokens,
    claims: decoded.payload,
    realKey,
    realSigner,
    forgeWithRealKey: (headerPatch = {}, claimsPatch = {}) => forge(patched(decoded.header, headerPatch), patched(decoded.payload, claimsPatch), realSigner),
    logs: () => built.logs,
    stats: { rejected: 0 }
  }
  return lab
}

/** The control: a token that must work, so that a battery that rejects everything cannot pass. */
export async function expectAccepted (t: Test, lab: TokenLab, token: string, label: string): Promise<void> {
  const response = await lab.app.inject({ method: 'GET', url: '/protected', headers: { authorization: `Bearer ${token}` } })
  t.equal(response.statusCode, 200, `${label}: accepted (control)`)
  if (response.statusCode === 200) t.equal(json<{ user: { id: string } }>(response).user.id, lab.user.id, `${label}: the right user`)
}

const expected = invalidToken()

/**
 * "Reject" per the requirements: 401, `WWW-Authenticate: Bearer error="invalid_token"`, the one
 * invalid-token problem document (so it cannot name a library, code path or claim value).
 */
export async function expectRejected (t: Test, lab: TokenLab, token: string, label: string, path = '/protected'): Promise<void> {
  lab.stats.rejected++
  const response = await lab.app.inject({ method: 'GET', url: path, headers: { authorization: `Bearer ${token}` } })
  const ok = response.statusCode === 401 &&
    /^Bearer /.test(String(response.headers['www-authenticate'])) &&
    String(response.headers['www-authenticate']).includes('error="invalid_token"') &&
    String(response.headers['www-authenticate']).includes(`realm="${REALM}"`) &&
    /^application\/problem\+json/.test(String(response.headers['content-type'])) &&
    !LIBRARY_TEXT.test(response.body)
  if (!ok) {
    t.fail(`${label} [${lab.alg}]: not rejected properly`, { status: response.statusCode, headers: response.headers, body: response.body })
    return
  }
  const body = json(response)
  t.same({ type: body.type, title: body.title, status: body.status, detail: body.detail }, {
    type: `urn:secure-api:problem:${expected.slug}`, title: expected.title, status: 401, detail: expected.detail
  }, `${label} [${lab.alg}]: rejected with the invalid-token problem`)
}
