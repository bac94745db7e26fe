import type { AddressInfo } from 'node:net'
import t from 'tap'
import { buildTestApp, type TestApp } from '../helpers/app.js'
import { decodeJwt, forge, signerFor, type JsonObject } from '../helpers/jwt-forge.js'
import { auditEvents } from '../helpers/sessions.js'
import { codeAt, enrolTotp } from '../helpers/mfa.js'
import { bearer, registerAndLogin, STRONG_PASSWORD, type Tokens } from '../helpers/users.js'
import { createSecureApiClient, memoryTokenStore, MfaRequiredError, RefreshFailedError, SessionEndedError, unwrap, type MfaChallenge } from '../../sdk/index.js'

/** The app on a real port: the SDK goes through fetch and HTTP like any user's code. */
async function liveServer (t: Parameters<typeof buildTestApp>[0]): Promise<TestApp & { baseUrl: string }> {
  const built = await buildTestApp(t)
  await built.app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = built.app.server.address() as AddressInfo
  return Object.assign(built, { baseUrl: `http://127.0.0.1:${port}` })
}

/**
 * The session's own access token, re-signed with the server's real key so that it expired a
 * minute ago: exactly what a client holds after ACCESS_TOKEN_TTL (at least 30 s) has passed.
 */
function expiredCopy (server: TestApp, tokens: Tokens): string {
  const { header, payload } = decodeJwt(tokens.access_token)
  const now = Math.floor(Date.now() / 1000)
  const key = server.app.keyring.signingKey()
  return forge(header as JsonObject, { ...(payload as JsonObject), iat: now - 120, exp: now - 60 }, signerFor(server.config.JWT_ALG, key.key))
}

/**
 * Refreshes the server saw. A success is an audit event; a refusal is a replay (audited as
 * refresh_reuse_detected), a refusal audited as a refresh failure, or an unknown token (a
 * budgeted security warning, aggregated in the audit trail).
 */
function refreshes (server: TestApp, outcome: 'success' | 'failure'): number {
  const audited = auditEvents(server.logs, 'refresh').filter((event) => event.outcome === outcome).length
  if (outcome === 'success') return audited
  const replays = auditEvents(server.logs, 'refresh_reuse_detected').length
  const unknown = server.logs.filter((line) => (line.security as { event?: string } | undefined)?.event === 'refresh_invalid_token').length
  return audited + replays + unknown
}

t.test('20 parallel calls with an expired access token: exactly one refresh, one retry each, 20 successes', async (t) => {
  const server = await liveServer(t)
  const user = await registerAndLogin(server.app, 'sdkflight')
  const expired = expiredCopy(server, user.tokens)
  const control = await server.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(expired) })
  t.equal(control.statusCode, 401, 'control: the server refuses the expired token')
  t.match(control.headers['www-authenticate'], /error="invalid_token"/)

  const store = memoryTokenStore({ access_token: expired, refresh_token: user.tokens.refresh_token })
  let ended = 0
  let sent = 0
  const api = createSecureApiClient({
    baseUrl: server.baseUrl,
    tokenStore: store,
    onSessionEnded: () => { ended++ },
    fetch: async (request) => { sent++; return await fetch(request) }
  })

  const results = await Promise.all(Array.from({ length: 20 }, async () => unwrap(await api.GET('/auth/me'))))
  t.equal(results.filter((me) => me.id === user.id).length, 20, '20 successes')
  t.equal(refreshes(server, 'success'), 1, 'exactly one refresh reached the server')
  t.equal(refreshes(server, 'failure'), 0, 'no refresh failed (a second one would have been a replay)')
  t.equal(auditEvents(server.logs, 'refresh_reuse_detected').length, 0, 'no reuse detected: the session lives')
  t.equal(sent, 20 + 1 + 20, '20 first tries, 1 refresh, 20 retries: one retry per call')
  t.equal(ended, 0, 'the session did not end')

  const stored = await store.get()
  t.not(stored?.access_token, expired, 'the store holds the new access token')
  t.not(stored?.refresh_token, user.tokens.refresh_token, 'and the rotated refresh token')
  sent = 0
  t.equal(unwrap(await api.GET('/auth/me')).id, user.id)
  t.equal(sent, 1, 'later calls go straight through with the new token')
})

t.test('a revoked session ends cleanly: every waiting call rejects with SessionEndedError, the callback runs once', async (t) => {
  const server = await liveServer(t)
  const user = await registerAndLogin(server.app, 'sdkrevoked')
  const logout = await server.app.inject({ method: 'POST', url: '/auth/logout', headers: bearer(user.tokens.access_token) })
  t.equal(logout.statusCode, 204, 'the session is ended on the server (as another device logging out would)')

  const store = memoryTokenStore({ access_token: user.tokens.access_token, refresh_token: user.tokens.refresh_token })
  let ended = 0
  const api = createSecureApiClient({ baseUrl: server.baseUrl, tokenStore: store, onSessionEnded: () => { ended++ } })
  const outcomes = await Promise.allSettled(Array.from({ length: 5 }, async () => await api.GET('/notes')))
  t.equal(outcomes.filter((outcome) => outcome.status === 'rejected' && outcome.reason instanceof SessionEndedError).length, 5, 'all five calls reject with SessionEndedError')
  const first = outcomes[0]
  if (first?.status === 'rejected') t.match(String(first.reason), /session has ended.*Log in again/)
  t.equal(ended, 1, 'onSessionEnded ran once')
  t.equal(refreshes(server, 'failure'), 1, 'one refresh was tried, and refused')
  t.equal(await store.get(), null, 'the store forgot the session')

  const after = await api.GET('/notes')
  t.equal(after.response.status, 401, 'later calls are plain 401s: no token, nothing to refresh')
  t.equal(ended, 1, 'and the callback does not run again')
})

t.test('login stores the tokens, a 401 without invalid_token is not refreshed, logout forgets the session', async (t) => {
  const server = await liveServer(t)
  const user = await registerAndLogin(server.app, 'sdklogin')
  const api = createSecureApiClient({ baseUrl: server.baseUrl })

  const anonymous = await api.GET('/auth/me')
  t.equal(anonymous.response.status, 401, 'no token: a plain 401')
  t.equal(refreshes(server, 'success') + refreshes(server, 'failure'), 0, 'and no refresh attempt')

  const tokens = await api.login({ username: user.username, password: STRONG_PASSWORD })
  t.same(await api.tokens.get(), { access_token: tokens.access_token, refresh_token: tokens.refresh_token })
  t.equal(unwrap(await api.GET('/auth/me')).id, user.id)

  await api.logout()
  t.equal(await api.tokens.get(), null, 'logout forgets the tokens')
  const reuse = await server.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(tokens.access_token) })
  t.equal(reuse.statusCode, 401, 'and the server ended the session')
})

t.test('the MFA step: a login answered with a challenge asks the mfa step for a code and finishes at /auth/mfa/verify; step-up via reauthenticate', async (t) => {
  const server = await liveServer(t)
  const user = await registerAndLogin(server.app, 'sdkmfa')
  const factor = await enrolTotp(server.app, user.tokens)

  const without = createSecureApiClient({ baseUrl: server.baseUrl })
  const refused = await without.login({ username: user.username, password: STRONG_PASSWORD }).catch((error: unknown) => error)
  t.type(refused, MfaRequiredError)
  t.same((refused as MfaRequiredError).challenge.methods, ['totp', 'recovery_code'])
  t.equal(await without.tokens.get(), null, 'no tokens from a password alone')

  const seen: MfaChallenge[] = []
  const api = createSecureApiClient({
    baseUrl: server.baseUrl,
    mfa: async (received) => { seen.push(received); return { code: codeAt(factor.secret, 0) } }
  })
  const tokens = await api.login({ username: user.username, password: STRONG_PASSWORD })
  t.equal(seen.length, 1, 'the step got the challenge')
  t.same(await api.tokens.get(), { access_token: tokens.access_token, refresh_token: tokens.refresh_token }, 'and the verified tokens are stored')
  t.equal(unwrap(await api.GET('/auth/me')).id, user.id)

  // RFC 9470 step-up through the SDK: a fresh proof, new tokens for the same session, stored.
  const stepped = await api.reauthenticate({ code: codeAt(factor.secret, 1) })
  t.same(await api.tokens.get(), { access_token: stepped.access_token, refresh_token: stepped.refresh_token })
  t.equal(unwrap(await api.GET('/auth/mfa/factors')).items.length, 1)
})

t.test('a refresh that fails for another reason rejects with RefreshFailedError, keeps the session, and may be tried again', async (t) => {
  const server = await liveServer(t)
  const user = await registerAndLogin(server.app, 'sdkoutage')
  const expired = expiredCopy(server, user.tokens)
  const store = memoryTokenStore({ access_token: expired, refresh_token: user.tokens.refresh_token })
  // The network between client and server, which the test can break for /auth/refresh only.
  let outage: 'down' | '503' | null = 'down'
  let ended = 0
  const api = createSecureApiClient({
    baseUrl: server.baseUrl,
    tokenStore: store,
    onSessionEnded: () => { ended++ },
    fetch: async (request) => {
      if (new URL(request.url).pathname === '/auth/refresh' && outage === 'down') throw new TypeError('fetch failed')
      if (new URL(request.url).pathname === '/auth/refresh' && outage === '503') return Response.json({}, { status: 503 })
      return await fetch(request)
    }
  })

  const offline = await Promise.allSettled([api.GET('/auth/me'), api.GET('/auth/me')])
  t.ok(offline.every((outcome) => outcome.status === 'rejected' && outcome.reason instanceof RefreshFailedError && outcome.reason.status === undefined), 'unreachable: RefreshFailedError without a status')
  outage = '503'
  await t.rejects(api.GET('/auth/me'), { name: 'RefreshFailedError', status: 503 }, 'a 503 from the refresh: RefreshFailedError 503')
  t.same(await store.get(), { access_token: expired, refresh_token: user.tokens.refresh_token }, 'the session is kept')
  t.equal(ended, 0, 'and not declared over')

  outage = null
  t.equal(unwrap(await api.GET('/auth/me')).id, user.id, 'once the server answers again, the next call refreshes and succeeds')
  t.equal(refreshes(server, 'success'), 1)
})

t.test('two clients sharing one token store share the single flight too; setAccessToken(null) forgets the session', async (t) => {
  const server = await liveServer(t)
  const user = await registerAndLogin(server.app, 'sdkshared')
  const store = memoryTokenStore({ access_token: expiredCopy(server, user.tokens), refresh_token: user.tokens.refresh_token })
  const headers = { 'user-agent': 'secure-api-sdk-test' }
  const first = createSecureApiClient({ baseUrl: server.baseUrl, tokenStore: store, headers })
  const second = createSecureApiClient({ baseUrl: server.baseUrl, tokenStore: store, headers })
  const results = await Promise.all(Array.from({ length: 10 }, async (_, index) => unwrap(await (index % 2 === 0 ? first : second).GET('/auth/me'))))
  t.equal(results.filter((me) => me.id === user.id).length, 10, '10 successes across both clients')
  t.equal(refreshes(server, 'success'), 1, 'one refresh for both clients')
  t.equal(refreshes(server, 'failure'), 0)
  const sessions = unwrap(await second.GET('/auth/sessions'))
  t.equal(sessions.items.length, 1)

  first.setAccessToken(null)
  t.equal(await store.get(), null, 'the shared store is empty')
  t.equal((await second.GET('/auth/me')).response.status, 401, 'and the other client sends no token')
})
