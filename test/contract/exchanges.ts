/**
 * The recorded exchanges that test/contract/replay.test.ts replays against a live server and
 * checks against the committed openapi/openapi.json.
 *
 * ADDING AN OPERATION: the replay fails while any operation of the committed document has no
 * step here that expects a 2xx. Add, in an order where what it needs already exists:
 *   { operation: '<operationId>', method, path, bearer: '{{alice.access}}', body, expect: 200 }
 * and one step per documented error you can reach from a normal server (wrong body -> 400,
 * someone else's id -> 404, ...). Text in double braces is filled in from earlier steps'
 * `save` (and from the setup: {{run}}, {{password}}, {{admin.access}}, {{admin.id}},
 * {{missing.id}}). A body that must be computed (a WebAuthn response signed over a saved
 * challenge) comes from `bodyFrom(vars)` instead. Statuses a test server cannot reach (503, 403 registration closed, 404 of
 * the JWKS under HS256) are left out; the replay prints which documented statuses it did not see.
 */
import { currentCode } from '../../src/security/totp.js'
import { SoftwareAuthenticator } from '../helpers/webauthn-authenticator.js'

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

export interface Step {
  /** The operationId in openapi/openapi.json. */
  operation: string
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE'
  path: string
  /** `Authorization: Bearer <this>` after substitution. */
  bearer?: string
  headers?: Record<string, string>
  /** Sent as JSON. */
  body?: Json
  /** Computed from earlier steps' values when the body must be signed (WebAuthn ceremonies). */
  bodyFrom?: (vars: ReadonlyMap<string, string>) => Json
  /** Sent as is, for bodies that are not JSON or too large. */
  raw?: { contentType: string, text: string }
  /** The status this step records; every response of the step is validated. */
  expect: number
  /** Send the same request this many times (throttling); the last one must answer `expect`. */
  repeat?: number
  /** Values later steps use, read from this step's response body. */
  save?: (body: Json) => Record<string, string>
}

const field = (body: Json, name: string): string => {
  const value = body !== null && typeof body === 'object' && !Array.isArray(body) ? body[name] : undefined
  if (typeof value !== 'string') throw new Error(`the response has no string ${name}`)
  return value
}
const tokens = (prefix: string) => (body: Json): Record<string, string> => ({ [`${prefix}.access`]: field(body, 'access_token'), [`${prefix}.refresh`]: field(body, 'refresh_token') })
const currentSession = (prefix: string) => (body: Json): Record<string, string> => {
  const items = body !== null && typeof body === 'object' && !Array.isArray(body) && Array.isArray(body.items) ? body.items : []
  const current = items.find((item) => item !== null && typeof item === 'object' && !Array.isArray(item) && item.current === true)
  return { [`${prefix}.session`]: field(current ?? null, 'id') }
}

const firstItem = (name: string) => (body: Json): Record<string, string> => {
  const items = body !== null && typeof body === 'object' && !Array.isArray(body) && Array.isArray(body.items) ? body.items : []
  return { [name]: field(items[0] ?? null, 'id') }
}

/** TOTP codes of the step when the secret arrived and the next one: both stay valid for the next 30 s or more (±1 step). */
const totpCodes = (prefix: string) => (body: Json): Record<string, string> => {
  const secret = field(body, 'secret')
  const now = Date.now()
  return { [`${prefix}.factor`]: field(body, 'factor_id'), [`${prefix}.code0`]: currentCode(secret, now), [`${prefix}.code1`]: currentCode(secret, now + 30_000) }
}
const recoveryCodes = (prefix: string) => (body: Json): Record<string, string> => {
  const codes = body !== null && typeof body === 'object' && !Array.isArray(body) && Array.isArray(body.recovery_codes) ? body.recovery_codes : []
  return { [`${prefix}.recovery0`]: typeof codes[0] === 'string' ? codes[0] : '' }
}

const TOO_LARGE = { contentType: 'application/json', text: JSON.stringify({ title: 'big', body: 'x'.repeat(70_000) }) }
const NOT_JSON = { contentType: 'text/plain', text: 'hello' }
const BAD_JSON = { contentType: 'application/json', text: '{"title": ' }
/**
 * Passkeys (issue 12): dave's software authenticator signs over the challenges the server
 * handed out (the replay server runs the development relying party: localhost, port 3000).
 */
const daveKey = new SoftwareAuthenticator('localhost', 'http://localhost:3000')
const stranger = new SoftwareAuthenticator('localhost', 'http://localhost:3000')
const need = (vars: ReadonlyMap<string, string>, name: string): string => {
  const value = vars.get(name)
  if (value === undefined) throw new Error(`no value for ${name} yet: record the step that saves it first`)
  return value
}
const creation = (prefix: string) => (body: Json): Record<string, string> => {
  const user = body !== null && typeof body === 'object' && !Array.isArray(body) ? body.user ?? null : null
  return { [`${prefix}.challenge`]: field(body, 'challenge'), [`${prefix}.user`]: field(user, 'id') }
}
const enrolment = (authenticator: SoftwareAuthenticator, prefix: string) => (vars: ReadonlyMap<string, string>): Json =>
  ({ response: { ...authenticator.register({ challenge: need(vars, `${prefix}.challenge`), user: { id: need(vars, `${prefix}.user`) } }) }, name: 'Laptop' })
const assertion = (prefix: string) => (vars: ReadonlyMap<string, string>): Json =>
  ({ challenge_id: need(vars, `${prefix}.id`), response: { ...daveKey.assert({ challenge: need(vars, `${prefix}.challenge`) }) } })
/** An assertion of a credential nobody registered: refused, and counted by the login throttle. */
const unknownAssertion = { challenge_id: '00000000-0000-4000-8000-000000000000', response: { ...stranger.assert({ challenge: 'bm90LWlzc3VlZA' }) } }
const dave = '{{dave.access}}'
const alice = '{{alice.access}}'
const carol = '{{carol.access}}'
const admin = '{{admin.access}}'

export const STEPS: Step[] = [
  // Health, keys and the tutorial's routes.
  { operation: 'getHealth', method: 'GET', path: '/health', expect: 200 },
  { operation: 'getReadiness', method: 'GET', path: '/health/ready', expect: 200 },
  { operation: 'getJwks', method: 'GET', path: '/.well-known/jwks.json', expect: 200 },
  { operation: 'getRateLimited', method: 'GET', path: '/rate-limited', expect: 200, repeat: 5 },
  { operation: 'getRateLimited', method: 'GET', path: '/rate-limited', expect: 429 },

  // Accounts and login.
  { operation: 'register', method: 'POST', path: '/auth/register', body: { username: 'alice.{{run}}', password: '{{password}}' }, expect: 201, save: (body) => ({ 'alice.id': field(body, 'id') }) },
  { operation: 'register', method: 'POST', path: '/auth/register', body: { username: 'carol.{{run}}', password: '{{password}}' }, expect: 201, save: (body) => ({ 'carol.id': field(body, 'id') }) },
  { operation: 'register', method: 'POST', path: '/auth/register', body: { username: 'alice.{{run}}', password: '{{password}}' }, expect: 409 },
  { operation: 'register', method: 'POST', path: '/auth/register', body: { username: 'bob.{{run}}', password: 'short' }, expect: 400 },
  { operation: 'register', method: 'POST', path: '/auth/register', raw: TOO_LARGE, expect: 413 },
  { operation: 'register', method: 'POST', path: '/auth/register', raw: NOT_JSON, expect: 415 },
  { operation: 'register', method: 'POST', path: '/auth/register', raw: BAD_JSON, expect: 400 },
  { operation: 'login', method: 'POST', path: '/auth/login', body: { username: 'alice.{{run}}', password: '{{password}}' }, expect: 200, save: tokens('alice') },
  { operation: 'login', method: 'POST', path: '/auth/login', body: { username: 'carol.{{run}}', password: '{{password}}' }, expect: 200, save: tokens('carol') },
  { operation: 'login', method: 'POST', path: '/auth/login', body: { username: 'alice.{{run}}' }, expect: 400 },
  { operation: 'login', method: 'POST', path: '/auth/login', raw: TOO_LARGE, expect: 413 },
  { operation: 'login', method: 'POST', path: '/auth/login', raw: NOT_JSON, expect: 415 },
  { operation: 'login', method: 'POST', path: '/auth/login', body: { username: 'mallory.{{run}}', password: 'not the password at all' }, expect: 401, repeat: 5 },
  { operation: 'login', method: 'POST', path: '/auth/login', body: { username: 'mallory.{{run}}', password: 'not the password at all' }, expect: 429 },

  // Who am I, the protected route.
  { operation: 'getCurrentUser', method: 'GET', path: '/auth/me', bearer: alice, expect: 200 },
  { operation: 'getCurrentUser', method: 'GET', path: '/auth/me', expect: 401 },
  { operation: 'getCurrentUser', method: 'GET', path: '/auth/me', bearer: 'not-a-token', expect: 401 },
  { operation: 'getProtected', method: 'GET', path: '/protected', bearer: alice, expect: 200 },
  { operation: 'getProtected', method: 'GET', path: '/protected', bearer: 'not-a-token', expect: 401 },

  // Notes.
  { operation: 'createNote', method: 'POST', path: '/notes', bearer: alice, body: { title: 'Replayed', body: 'on the wire' }, expect: 201, save: (body) => ({ note: field(body, 'id') }) },
  { operation: 'createNote', method: 'POST', path: '/notes', bearer: alice, body: { title: '', body: '' }, expect: 400 },
  { operation: 'createNote', method: 'POST', path: '/notes', body: { title: 'x', body: '' }, expect: 401 },
  { operation: 'createNote', method: 'POST', path: '/notes', bearer: alice, raw: TOO_LARGE, expect: 413 },
  { operation: 'createNote', method: 'POST', path: '/notes', bearer: alice, raw: NOT_JSON, expect: 415 },
  { operation: 'listNotes', method: 'GET', path: '/notes?limit=10', bearer: alice, expect: 200 },
  { operation: 'listNotes', method: 'GET', path: '/notes?limit=0', bearer: alice, expect: 400 },
  { operation: 'listNotes', method: 'GET', path: '/notes', expect: 401 },
  { operation: 'getNote', method: 'GET', path: '/notes/{{note}}', bearer: alice, expect: 200 },
  { operation: 'getNote', method: 'GET', path: '/notes/{{note}}', bearer: carol, expect: 404 },
  { operation: 'getNote', method: 'GET', path: '/notes/not-a-uuid', bearer: alice, expect: 404 },
  { operation: 'getNote', method: 'GET', path: '/notes/{{note}}', expect: 401 },
  { operation: 'updateNote', method: 'PATCH', path: '/notes/{{note}}', bearer: alice, body: { body: 'changed' }, expect: 200 },
  { operation: 'updateNote', method: 'PATCH', path: '/notes/{{note}}', bearer: alice, body: { colour: 'red' }, expect: 400 },
  { operation: 'updateNote', method: 'PATCH', path: '/notes/{{note}}', bearer: carol, body: { body: 'mine now' }, expect: 404 },
  { operation: 'updateNote', method: 'PATCH', path: '/notes/{{note}}', bearer: alice, raw: TOO_LARGE, expect: 413 },
  { operation: 'updateNote', method: 'PATCH', path: '/notes/{{note}}', bearer: alice, raw: NOT_JSON, expect: 415 },
  { operation: 'updateNote', method: 'PATCH', path: '/notes/{{note}}', body: { body: 'x' }, expect: 401 },
  { operation: 'deleteNote', method: 'DELETE', path: '/notes/{{note}}', bearer: alice, raw: BAD_JSON, expect: 400 },
  { operation: 'deleteNote', method: 'DELETE', path: '/notes/{{note}}', bearer: alice, raw: NOT_JSON, expect: 415 },
  { operation: 'deleteNote', method: 'DELETE', path: '/notes/{{note}}', bearer: alice, raw: TOO_LARGE, expect: 413 },
  { operation: 'deleteNote', method: 'DELETE', path: '/notes/{{note}}', bearer: carol, expect: 404 },
  { operation: 'deleteNote', method: 'DELETE', path: '/notes/{{note}}', expect: 401 },
  { operation: 'deleteNote', method: 'DELETE', path: '/notes/{{note}}', bearer: alice, expect: 204 },
  { operation: 'deleteNote', method: 'DELETE', path: '/notes/{{note}}', bearer: alice, expect: 404 },

  // Sessions: a second login of alice's, ended from the first.
  { operation: 'login', method: 'POST', path: '/auth/login', body: { username: 'alice.{{run}}', password: '{{password}}' }, expect: 200, save: tokens('alice2') },
  { operation: 'listSessions', method: 'GET', path: '/auth/sessions', bearer: '{{alice2.access}}', expect: 200, save: currentSession('alice2') },
  { operation: 'listSessions', method: 'GET', path: '/auth/sessions', expect: 401 },
  { operation: 'endSession', method: 'DELETE', path: '/auth/sessions/{{alice2.session}}', bearer: alice, expect: 204 },
  { operation: 'endSession', method: 'DELETE', path: '/auth/sessions/{{alice2.session}}', bearer: carol, expect: 404 },
  { operation: 'endSession', method: 'DELETE', path: '/auth/sessions/not-a-uuid', bearer: alice, expect: 404 },
  { operation: 'endSession', method: 'DELETE', path: '/auth/sessions/{{missing.id}}', bearer: alice, raw: BAD_JSON, expect: 400 },
  { operation: 'endSession', method: 'DELETE', path: '/auth/sessions/{{missing.id}}', bearer: alice, raw: NOT_JSON, expect: 415 },
  { operation: 'endSession', method: 'DELETE', path: '/auth/sessions/{{missing.id}}', expect: 401 },
  // Device tokens (I7): every login above left one.
  { operation: 'listDevices', method: 'GET', path: '/auth/devices', bearer: alice, expect: 200, save: firstItem('alice.device') },
  { operation: 'listDevices', method: 'GET', path: '/auth/devices', expect: 401 },
  { operation: 'deleteDevice', method: 'DELETE', path: '/auth/devices/{{alice.device}}', bearer: carol, expect: 404 },
  { operation: 'deleteDevice', method: 'DELETE', path: '/auth/devices/{{alice.device}}', expect: 401 },
  { operation: 'deleteDevice', method: 'DELETE', path: '/auth/devices/{{alice.device}}', bearer: alice, expect: 204 },
  { operation: 'deleteDevice', method: 'DELETE', path: '/auth/devices/{{alice.device}}', bearer: alice, expect: 404 },

  // Passkeys (issue 12): dave enrols one, renames it, logs in with it alone, deletes it.
  { operation: 'register', method: 'POST', path: '/auth/register', body: { username: 'dave.{{run}}', password: '{{password}}' }, expect: 201 },
  { operation: 'login', method: 'POST', path: '/auth/login', body: { username: 'dave.{{run}}', password: '{{password}}' }, expect: 200, save: tokens('dave') },
  { operation: 'passkeyRegistrationOptions', method: 'POST', path: '/auth/passkeys/registration/options', bearer: dave, expect: 200, save: creation('dave.reg') },
  { operation: 'passkeyRegistrationOptions', method: 'POST', path: '/auth/passkeys/registration/options', bearer: dave, raw: BAD_JSON, expect: 400 },
  { operation: 'passkeyRegistrationOptions', method: 'POST', path: '/auth/passkeys/registration/options', bearer: dave, raw: NOT_JSON, expect: 415 },
  { operation: 'passkeyRegistrationOptions', method: 'POST', path: '/auth/passkeys/registration/options', bearer: dave, raw: TOO_LARGE, expect: 413 },
  { operation: 'passkeyRegistrationOptions', method: 'POST', path: '/auth/passkeys/registration/options', expect: 401 },
  { operation: 'registerPasskey', method: 'POST', path: '/auth/passkeys', bearer: dave, bodyFrom: enrolment(daveKey, 'dave.reg'), expect: 201, save: (body) => ({ 'dave.passkey': field(body, 'id') }) },
  { operation: 'registerPasskey', method: 'POST', path: '/auth/passkeys', bearer: dave, bodyFrom: enrolment(stranger, 'dave.reg'), expect: 400 },
  { operation: 'passkeyRegistrationOptions', method: 'POST', path: '/auth/passkeys/registration/options', bearer: dave, expect: 200, save: creation('dave.reg2') },
  { operation: 'registerPasskey', method: 'POST', path: '/auth/passkeys', bearer: dave, bodyFrom: enrolment(daveKey, 'dave.reg2'), expect: 409 },
  { operation: 'registerPasskey', method: 'POST', path: '/auth/passkeys', bearer: dave, raw: TOO_LARGE, expect: 413 },
  { operation: 'registerPasskey', method: 'POST', path: '/auth/passkeys', bearer: dave, raw: NOT_JSON, expect: 415 },
  { operation: 'registerPasskey', method: 'POST', path: '/auth/passkeys', body: { response: {} }, expect: 401 },
  { operation: 'listPasskeys', method: 'GET', path: '/auth/passkeys', bearer: dave, expect: 200 },
  { operation: 'listPasskeys', method: 'GET', path: '/auth/passkeys', expect: 401 },
  { operation: 'renamePasskey', method: 'PATCH', path: '/auth/passkeys/{{dave.passkey}}', bearer: dave, body: { name: 'Work laptop' }, expect: 200 },
  { operation: 'renamePasskey', method: 'PATCH', path: '/auth/passkeys/{{dave.passkey}}', bearer: dave, body: { counter: 0 }, expect: 400 },
  { operation: 'renamePasskey', method: 'PATCH', path: '/auth/passkeys/{{dave.passkey}}', bearer: carol, body: { name: 'mine' }, expect: 404 },
  { operation: 'renamePasskey', method: 'PATCH', path: '/auth/passkeys/{{dave.passkey}}', bearer: dave, raw: TOO_LARGE, expect: 413 },
  { operation: 'renamePasskey', method: 'PATCH', path: '/auth/passkeys/{{dave.passkey}}', bearer: dave, raw: NOT_JSON, expect: 415 },
  { operation: 'renamePasskey', method: 'PATCH', path: '/auth/passkeys/{{dave.passkey}}', body: { name: 'x' }, expect: 401 },
  { operation: 'passkeyLoginOptions', method: 'POST', path: '/auth/passkeys/login/options', body: {}, expect: 200, save: (body) => ({ 'dave.login.id': field(body, 'challenge_id'), 'dave.login.challenge': field(body, 'challenge') }) },
  { operation: 'passkeyLoginOptions', method: 'POST', path: '/auth/passkeys/login/options', body: { username: 'dave' }, expect: 400 },
  { operation: 'passkeyLoginOptions', method: 'POST', path: '/auth/passkeys/login/options', raw: TOO_LARGE, expect: 413 },
  { operation: 'passkeyLoginOptions', method: 'POST', path: '/auth/passkeys/login/options', raw: NOT_JSON, expect: 415 },
  { operation: 'passkeyLogin', method: 'POST', path: '/auth/passkeys/login', bodyFrom: assertion('dave.login'), expect: 200, save: tokens('dave2') },
  { operation: 'passkeyLogin', method: 'POST', path: '/auth/passkeys/login', bodyFrom: assertion('dave.login'), expect: 401 },
  { operation: 'passkeyLogin', method: 'POST', path: '/auth/passkeys/login', body: { challenge_id: '{{missing.id}}' }, expect: 400 },
  { operation: 'passkeyLogin', method: 'POST', path: '/auth/passkeys/login', raw: TOO_LARGE, expect: 413 },
  { operation: 'passkeyLogin', method: 'POST', path: '/auth/passkeys/login', raw: NOT_JSON, expect: 415 },
  { operation: 'passkeyLogin', method: 'POST', path: '/auth/passkeys/login', body: unknownAssertion, expect: 401, repeat: 5 },
  { operation: 'passkeyLogin', method: 'POST', path: '/auth/passkeys/login', body: unknownAssertion, expect: 429 },
  { operation: 'getProtected', method: 'GET', path: '/protected', bearer: '{{dave2.access}}', expect: 200 },
  { operation: 'deletePasskey', method: 'DELETE', path: '/auth/passkeys/{{dave.passkey}}', bearer: carol, expect: 404 },
  { operation: 'deletePasskey', method: 'DELETE', path: '/auth/passkeys/{{dave.passkey}}', bearer: dave, raw: BAD_JSON, expect: 400 },
  { operation: 'deletePasskey', method: 'DELETE', path: '/auth/passkeys/{{dave.passkey}}', bearer: dave, raw: NOT_JSON, expect: 415 },
  { operation: 'deletePasskey', method: 'DELETE', path: '/auth/passkeys/{{dave.passkey}}', bearer: dave, raw: TOO_LARGE, expect: 413 },
  { operation: 'deletePasskey', method: 'DELETE', path: '/auth/passkeys/{{dave.passkey}}', expect: 401 },
  { operation: 'deletePasskey', method: 'DELETE', path: '/auth/passkeys/{{dave.passkey}}', bearer: dave, expect: 204 },

  // Refresh: a rotation, then the rotated token again (a replay: that session ends).
  { operation: 'login', method: 'POST', path: '/auth/login', body: { username: 'alice.{{run}}', password: '{{password}}' }, expect: 200, save: tokens('alice3') },
  { operation: 'refreshTokens', method: 'POST', path: '/auth/refresh', body: { refresh_token: '{{alice3.refresh}}' }, expect: 200 },
  { operation: 'refreshTokens', method: 'POST', path: '/auth/refresh', body: { refresh_token: '{{alice3.refresh}}' }, expect: 401 },
  { operation: 'refreshTokens', method: 'POST', path: '/auth/refresh', body: {}, expect: 400 },
  { operation: 'refreshTokens', method: 'POST', path: '/auth/refresh', raw: TOO_LARGE, expect: 413 },
  { operation: 'refreshTokens', method: 'POST', path: '/auth/refresh', raw: NOT_JSON, expect: 415 },

  // Second factors (K1-K5): frank enrols TOTP, logs in with it and with a recovery code; erin has none.
  { operation: 'register', method: 'POST', path: '/auth/register', body: { username: 'frank.{{run}}', password: '{{password}}' }, expect: 201 },
  { operation: 'login', method: 'POST', path: '/auth/login', body: { username: 'frank.{{run}}', password: '{{password}}' }, expect: 200, save: tokens('frank') },
  { operation: 'listFactors', method: 'GET', path: '/auth/mfa/factors', bearer: '{{frank.access}}', expect: 200 },
  { operation: 'listFactors', method: 'GET', path: '/auth/mfa/factors', expect: 401 },
  { operation: 'enrolTotp', method: 'POST', path: '/auth/mfa/totp', expect: 401 },
  { operation: 'enrolTotp', method: 'POST', path: '/auth/mfa/totp', bearer: '{{frank.access}}', expect: 201, save: totpCodes('frank') },
  { operation: 'confirmTotp', method: 'POST', path: '/auth/mfa/totp/{{frank.factor}}/confirm', bearer: '{{frank.access}}', body: { code: '12345' }, expect: 400 },
  { operation: 'confirmTotp', method: 'POST', path: '/auth/mfa/totp/{{missing.id}}/confirm', bearer: '{{frank.access}}', body: { code: '{{frank.code0}}' }, expect: 404 },
  { operation: 'confirmTotp', method: 'POST', path: '/auth/mfa/totp/{{frank.factor}}/confirm', body: { code: '{{frank.code0}}' }, expect: 401 },
  { operation: 'confirmTotp', method: 'POST', path: '/auth/mfa/totp/{{frank.factor}}/confirm', bearer: '{{frank.access}}', raw: TOO_LARGE, expect: 413 },
  { operation: 'confirmTotp', method: 'POST', path: '/auth/mfa/totp/{{frank.factor}}/confirm', bearer: '{{frank.access}}', raw: NOT_JSON, expect: 415 },
  { operation: 'confirmTotp', method: 'POST', path: '/auth/mfa/totp/{{frank.factor}}/confirm', bearer: '{{frank.access}}', body: { code: '{{frank.code0}}' }, expect: 200, save: recoveryCodes('frank') },
  { operation: 'login', method: 'POST', path: '/auth/login', body: { username: 'frank.{{run}}', password: '{{password}}' }, expect: 200, save: (body) => ({ 'frank.mfa': field(body, 'mfa_token') }) },
  { operation: 'verifyMfa', method: 'POST', path: '/auth/mfa/verify', body: { mfa_token: '{{frank.mfa}}' }, expect: 400 },
  { operation: 'verifyMfa', method: 'POST', path: '/auth/mfa/verify', body: { mfa_token: 'not-a-token', code: '{{frank.code1}}' }, expect: 401 },
  { operation: 'verifyMfa', method: 'POST', path: '/auth/mfa/verify', raw: TOO_LARGE, expect: 413 },
  { operation: 'verifyMfa', method: 'POST', path: '/auth/mfa/verify', raw: NOT_JSON, expect: 415 },
  { operation: 'verifyMfa', method: 'POST', path: '/auth/mfa/verify', body: { mfa_token: '{{frank.mfa}}', code: '{{frank.code1}}' }, expect: 200, save: tokens('frank') },
  { operation: 'verifyMfa', method: 'POST', path: '/auth/mfa/verify', body: { mfa_token: '{{frank.mfa}}', code: '{{frank.code1}}' }, expect: 401 },
  { operation: 'login', method: 'POST', path: '/auth/login', body: { username: 'frank.{{run}}', password: '{{password}}' }, expect: 200, save: (body) => ({ 'frank.mfa': field(body, 'mfa_token') }) },
  { operation: 'mfaWebauthnOptions', method: 'POST', path: '/auth/mfa/webauthn/options', body: { mfa_token: '{{frank.mfa}}' }, expect: 200 },
  { operation: 'mfaWebauthnOptions', method: 'POST', path: '/auth/mfa/webauthn/options', body: { mfa_token: 'not-a-token' }, expect: 401 },
  { operation: 'mfaWebauthnOptions', method: 'POST', path: '/auth/mfa/webauthn/options', body: {}, expect: 400 },
  { operation: 'mfaWebauthnOptions', method: 'POST', path: '/auth/mfa/webauthn/options', raw: TOO_LARGE, expect: 413 },
  { operation: 'mfaWebauthnOptions', method: 'POST', path: '/auth/mfa/webauthn/options', raw: NOT_JSON, expect: 415 },
  { operation: 'verifyMfa', method: 'POST', path: '/auth/mfa/verify', body: { mfa_token: '{{frank.mfa}}', recovery_code: '{{frank.recovery0}}' }, expect: 200 },
  { operation: 'reauthenticateWebauthnOptions', method: 'POST', path: '/auth/reauthenticate/webauthn-options', bearer: '{{frank.access}}', expect: 200 },
  { operation: 'reauthenticateWebauthnOptions', method: 'POST', path: '/auth/reauthenticate/webauthn-options', expect: 401 },
  { operation: 'listFactors', method: 'GET', path: '/auth/mfa/factors', bearer: '{{frank.access}}', expect: 200 },
  { operation: 'regenerateRecoveryCodes', method: 'POST', path: '/auth/mfa/recovery-codes', bearer: '{{frank.access}}', expect: 200 },
  { operation: 'regenerateRecoveryCodes', method: 'POST', path: '/auth/mfa/recovery-codes', expect: 401 },
  { operation: 'reauthenticate', method: 'POST', path: '/auth/reauthenticate', bearer: '{{frank.access}}', body: { password: '{{password}}' }, expect: 400 },
  { operation: 'reauthenticate', method: 'POST', path: '/auth/reauthenticate', bearer: '{{frank.access}}', raw: TOO_LARGE, expect: 413 },
  { operation: 'reauthenticate', method: 'POST', path: '/auth/reauthenticate', bearer: '{{frank.access}}', raw: NOT_JSON, expect: 415 },
  { operation: 'reauthenticate', method: 'POST', path: '/auth/reauthenticate', body: { password: '{{password}}' }, expect: 401 },
  { operation: 'deleteFactor', method: 'DELETE', path: '/auth/mfa/factors/{{missing.id}}', bearer: '{{frank.access}}', expect: 404 },
  { operation: 'deleteFactor', method: 'DELETE', path: '/auth/mfa/factors/{{frank.factor}}', expect: 401 },
  { operation: 'deleteFactor', method: 'DELETE', path: '/auth/mfa/factors/{{frank.factor}}', bearer: '{{frank.access}}', expect: 204 },
  { operation: 'register', method: 'POST', path: '/auth/register', body: { username: 'erin.{{run}}', password: '{{password}}' }, expect: 201 },
  { operation: 'login', method: 'POST', path: '/auth/login', body: { username: 'erin.{{run}}', password: '{{password}}' }, expect: 200, save: tokens('erin') },
  { operation: 'regenerateRecoveryCodes', method: 'POST', path: '/auth/mfa/recovery-codes', bearer: '{{erin.access}}', expect: 409 },
  { operation: 'reauthenticate', method: 'POST', path: '/auth/reauthenticate', bearer: '{{erin.access}}', body: { password: '{{password}}' }, expect: 200 },

  // Administration (admin is made by the setup, as `npm run user:create -- --role admin` does).
  { operation: 'adminListUsers', method: 'GET', path: '/admin/users?limit=5', bearer: admin, expect: 200 },
  { operation: 'adminListUsers', method: 'GET', path: '/admin/users?limit=0', bearer: admin, expect: 400 },
  { operation: 'adminListUsers', method: 'GET', path: '/admin/users', bearer: alice, expect: 403 },
  { operation: 'adminListUsers', method: 'GET', path: '/admin/users', expect: 401 },
  { operation: 'adminUpdateUser', method: 'PATCH', path: '/admin/users/{{carol.id}}', bearer: admin, body: { roles: ['user'] }, expect: 200 },
  { operation: 'adminUpdateUser', method: 'PATCH', path: '/admin/users/{{carol.id}}', bearer: admin, body: { roles: [] }, expect: 400 },
  { operation: 'adminUpdateUser', method: 'PATCH', path: '/admin/users/{{missing.id}}', bearer: admin, body: { disabled: false }, expect: 404 },
  { operation: 'adminUpdateUser', method: 'PATCH', path: '/admin/users/{{admin.id}}', bearer: admin, body: { roles: ['user'] }, expect: 409 },
  { operation: 'adminUpdateUser', method: 'PATCH', path: '/admin/users/{{carol.id}}', bearer: admin, raw: TOO_LARGE, expect: 413 },
  { operation: 'adminUpdateUser', method: 'PATCH', path: '/admin/users/{{carol.id}}', bearer: admin, raw: NOT_JSON, expect: 415 },
  { operation: 'adminUpdateUser', method: 'PATCH', path: '/admin/users/{{carol.id}}', bearer: alice, body: { disabled: true }, expect: 403 },
  { operation: 'adminUpdateUser', method: 'PATCH', path: '/admin/users/{{carol.id}}', body: { disabled: true }, expect: 401 },
  { operation: 'adminEndUserSessions', method: 'DELETE', path: '/admin/users/{{carol.id}}/sessions', bearer: admin, expect: 204 },
  { operation: 'adminEndUserSessions', method: 'DELETE', path: '/admin/users/{{missing.id}}/sessions', bearer: admin, expect: 404 },
  { operation: 'adminEndUserSessions', method: 'DELETE', path: '/admin/users/{{carol.id}}/sessions', bearer: admin, raw: BAD_JSON, expect: 400 },
  { operation: 'adminEndUserSessions', method: 'DELETE', path: '/admin/users/{{carol.id}}/sessions', bearer: alice, expect: 403 },
  { operation: 'adminEndUserSessions', method: 'DELETE', path: '/admin/users/{{carol.id}}/sessions', expect: 401 },
  // The audit trail (J1).
  { operation: 'adminListAuditEvents', method: 'GET', path: '/admin/audit-events?limit=5', bearer: admin, expect: 200 },
  { operation: 'adminListAuditEvents', method: 'GET', path: '/admin/audit-events?type=login&user_id={{alice.id}}&since=2020-01-01T00:00:00Z', bearer: admin, expect: 200 },
  { operation: 'adminListAuditEvents', method: 'GET', path: '/admin/audit-events?cursor=not-ours', bearer: admin, expect: 400 },
  { operation: 'adminListAuditEvents', method: 'GET', path: '/admin/audit-events', bearer: alice, expect: 403 },
  { operation: 'adminListAuditEvents', method: 'GET', path: '/admin/audit-events', expect: 401 },

  // Email and recovery (issue 13). The setup gave the admin a confirmation token ({{admin.email_token}}) for {{admin.email}}.
  { operation: 'requestEmailChange', method: 'POST', path: '/auth/email', bearer: alice, body: { email: 'alice.{{run}}@example.test' }, expect: 202 },
  { operation: 'requestEmailChange', method: 'POST', path: '/auth/email', bearer: alice, body: { email: 'not an address' }, expect: 400 },
  { operation: 'requestEmailChange', method: 'POST', path: '/auth/email', bearer: alice, raw: TOO_LARGE, expect: 413 },
  { operation: 'requestEmailChange', method: 'POST', path: '/auth/email', bearer: alice, raw: NOT_JSON, expect: 415 },
  { operation: 'requestEmailChange', method: 'POST', path: '/auth/email', body: { email: 'x@example.test' }, expect: 401 },
  { operation: 'verifyEmail', method: 'POST', path: '/auth/email/verify', body: { token: '{{admin.email_token}}' }, expect: 200 },
  { operation: 'verifyEmail', method: 'POST', path: '/auth/email/verify', body: { token: '{{admin.email_token}}' }, expect: 400 },
  { operation: 'verifyEmail', method: 'POST', path: '/auth/email/verify', body: {}, expect: 400 },
  { operation: 'verifyEmail', method: 'POST', path: '/auth/email/verify', raw: TOO_LARGE, expect: 413 },
  { operation: 'verifyEmail', method: 'POST', path: '/auth/email/verify', raw: NOT_JSON, expect: 415 },
  { operation: 'requestPasswordReset', method: 'POST', path: '/auth/password-reset/request', body: { email: '{{admin.email}}' }, expect: 202 },
  { operation: 'requestPasswordReset', method: 'POST', path: '/auth/password-reset/request', body: { email: 'nobody.{{run}}@example.test' }, expect: 202 },
  { operation: 'requestPasswordReset', method: 'POST', path: '/auth/password-reset/request', body: { email: 'nobody' }, expect: 400 },
  { operation: 'requestPasswordReset', method: 'POST', path: '/auth/password-reset/request', raw: TOO_LARGE, expect: 413 },
  { operation: 'requestPasswordReset', method: 'POST', path: '/auth/password-reset/request', raw: NOT_JSON, expect: 415 },
  { operation: 'adminIssuePasswordReset', method: 'POST', path: '/admin/users/{{carol.id}}/password-reset', bearer: admin, expect: 201, save: (body) => ({ 'carol.reset': field(body, 'reset_token') }) },
  { operation: 'adminIssuePasswordReset', method: 'POST', path: '/admin/users/{{missing.id}}/password-reset', bearer: admin, expect: 404 },
  { operation: 'adminIssuePasswordReset', method: 'POST', path: '/admin/users/{{carol.id}}/password-reset', bearer: admin, raw: BAD_JSON, expect: 400 },
  { operation: 'adminIssuePasswordReset', method: 'POST', path: '/admin/users/{{carol.id}}/password-reset', bearer: alice, expect: 403 },
  { operation: 'adminIssuePasswordReset', method: 'POST', path: '/admin/users/{{carol.id}}/password-reset', expect: 401 },
  { operation: 'resetPassword', method: 'POST', path: '/auth/password-reset', body: { token: '{{carol.reset}}', new_password: 'short' }, expect: 400 },
  { operation: 'resetPassword', method: 'POST', path: '/auth/password-reset', body: { token: '{{carol.reset}}', new_password: '{{password}}-reset' }, expect: 204 },
  { operation: 'resetPassword', method: 'POST', path: '/auth/password-reset', body: { token: '{{carol.reset}}', new_password: '{{password}}-reset' }, expect: 400 },
  { operation: 'resetPassword', method: 'POST', path: '/auth/password-reset', raw: TOO_LARGE, expect: 413 },
  { operation: 'resetPassword', method: 'POST', path: '/auth/password-reset', raw: NOT_JSON, expect: 415 },
  { operation: 'login', method: 'POST', path: '/auth/login', body: { username: 'carol.{{run}}', password: '{{password}}-reset' }, expect: 200 },

  // Password change (ends every session of alice's), then logout.
  { operation: 'changePassword', method: 'POST', path: '/auth/password', bearer: alice, body: { current_password: 'not the password at all', new_password: '{{password}}-new' }, expect: 400 },
  { operation: 'changePassword', method: 'POST', path: '/auth/password', bearer: alice, raw: TOO_LARGE, expect: 413 },
  { operation: 'changePassword', method: 'POST', path: '/auth/password', bearer: alice, raw: NOT_JSON, expect: 415 },
  { operation: 'changePassword', method: 'POST', path: '/auth/password', body: { current_password: 'x', new_password: 'y' }, expect: 401 },
  { operation: 'changePassword', method: 'POST', path: '/auth/password', bearer: alice, body: { current_password: '{{password}}', new_password: '{{password}}-new' }, expect: 204 },
  { operation: 'login', method: 'POST', path: '/auth/login', body: { username: 'alice.{{run}}', password: '{{password}}-new' }, expect: 200, save: tokens('alice') },
  { operation: 'logout', method: 'POST', path: '/auth/logout', bearer: alice, raw: BAD_JSON, expect: 400 },
  { operation: 'logout', method: 'POST', path: '/auth/logout', bearer: alice, raw: NOT_JSON, expect: 415 },
  { operation: 'logout', method: 'POST', path: '/auth/logout', bearer: alice, raw: TOO_LARGE, expect: 413 },
  { operation: 'logout', method: 'POST', path: '/auth/logout', bearer: alice, expect: 204 },
  { operation: 'logout', method: 'POST', path: '/auth/logout', bearer: alice, expect: 401 }
]
