import type { AddressInfo } from 'node:net'
import t from 'tap'
import { buildTestApp, type Teardown } from '../helpers/app.js'
import { STRONG_PASSWORD, uniqueUsername } from '../helpers/users.js'
import { ApiProblemError, createSecureApiClient, isMfaChallenge, unwrap, type ApiResult, type MfaChallenge, type Note, type SecureApiClient, type TokenResponse } from '../../sdk/index.js'

/** POST /auth/login answers tokens or, with a second factor, a challenge: these accounts have none. */
function tokensOf (body: TokenResponse | MfaChallenge): TokenResponse {
  if (isMfaChallenge(body)) throw new Error('unexpected MFA challenge')
  return body
}

/** The app on a real port, so the SDK goes through fetch and HTTP like any user's code. */
async function startServer (t: Teardown): Promise<string> {
  const { app } = await buildTestApp(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  return `http://127.0.0.1:${port}`
}

/** The problem an SDK call failed with; fails the test when the call succeeded. */
async function problemOf (call: Promise<ApiResult>): Promise<ApiProblemError> {
  try {
    unwrap(await call)
  } catch (error) {
    if (error instanceof ApiProblemError) return error
    throw error
  }
  throw new Error('expected the call to fail with a problem')
}

/** A route another helper may not have merged yet answers the generic not-found problem. */
function routeMissing (error: unknown): boolean {
  return error instanceof ApiProblemError && error.status === 404 && error.problem.type === 'urn:secure-api:problem:not-found' && error.problem.detail === 'No resource exists at this address.'
}

// Compile-time checks (npm run typecheck): the generated types refuse what the API refuses.
export function typeChecks (api: SecureApiClient): void {
  // @ts-expect-error title must be a string
  void api.POST('/notes', { body: { title: 1, body: '' } })
  // @ts-expect-error title is required
  void api.POST('/notes', { body: { body: '' } })
  // @ts-expect-error no such path
  void api.GET('/notes/{id}/owner', { params: { path: { id: 'x' } } })
}

t.test('the generated SDK drives the real server: register, login, me, notes CRUD, problems, refresh, logout', async (t) => {
  const baseUrl = await startServer(t)
  const api = createSecureApiClient({ baseUrl })
  const username = uniqueUsername('sdk')

  const registered = await api.POST('/auth/register', { body: { username, password: STRONG_PASSWORD } })
  t.equal(registered.response.status, 201)
  const user = unwrap(registered)
  t.equal(user.username, username)
  t.same(user.roles, ['user'])

  const tokens = tokensOf(unwrap(await api.POST('/auth/login', { body: { username, password: STRONG_PASSWORD } })))
  t.equal(tokens.token_type, 'Bearer')

  const anonymous = await problemOf(api.GET('/auth/me'))
  t.equal(anonymous.status, 401, 'no token set yet: a typed 401 problem')
  t.equal(anonymous.problem.status, 401)

  api.setAccessToken(tokens.access_token)
  const me = unwrap(await api.GET('/auth/me'))
  t.equal(me.id, user.id, 'the auth middleware sends the access token')

  const created = await api.POST('/notes', { body: { title: 'From the SDK', body: 'typed all the way' } })
  t.equal(created.response.status, 201)
  const note: Note = unwrap(created)
  t.equal(created.response.headers.get('location'), `/notes/${note.id}`)

  const page = unwrap(await api.GET('/notes', { params: { query: { limit: 10 } } }))
  t.same(page.items.map((item) => item.id), [note.id])
  t.equal(page.next_cursor, null)

  const read = unwrap(await api.GET('/notes/{id}', { params: { path: { id: note.id } } }))
  t.same(read, note)

  const patched = unwrap(await api.PATCH('/notes/{id}', { params: { path: { id: note.id } }, body: { body: 'changed' } }))
  t.equal(patched.body, 'changed')
  t.equal(patched.title, 'From the SDK')

  const deleted = await api.DELETE('/notes/{id}', { params: { path: { id: note.id } } })
  t.equal(deleted.response.status, 204)
  t.equal(unwrap(deleted), undefined, 'a 204 unwraps to undefined')

  const missing = await problemOf(api.GET('/notes/{id}', { params: { path: { id: note.id } } }))
  t.equal(missing.status, 404, 'a deleted note: typed 404 problem')
  t.match(missing.problem, { type: 'urn:secure-api:problem:not-found', status: 404, title: 'Not Found' })
  t.type(missing.problem.request_id, 'string')

  const invalid = await problemOf(api.POST('/notes', { body: { title: '', body: '' } }))
  t.equal(invalid.status, 400)
  t.match(invalid.problem.errors, [{ pointer: '/title' }], 'validation problems carry errors[] with pointers')

  // Refresh and logout: written in parallel by another helper; reported as todo until merged.
  let refreshed: TokenResponse | undefined
  try {
    refreshed = unwrap(await api.POST('/auth/refresh', { body: { refresh_token: tokens.refresh_token } }))
  } catch (error) {
    if (!routeMissing(error)) throw error
    t.fail('POST /auth/refresh through the SDK', { todo: 'the route is not there yet' })
  }
  if (refreshed !== undefined) {
    t.not(refreshed.refresh_token, tokens.refresh_token, 'C2: a new refresh token')
    api.setAccessToken(refreshed.access_token)
    t.equal(unwrap(await api.GET('/auth/me')).id, user.id, 'the refreshed access token works')
  }

  let loggedOut = false
  try {
    const logout = await api.POST('/auth/logout')
    t.equal(logout.response.status, 204)
    unwrap(logout)
    loggedOut = true
  } catch (error) {
    if (!routeMissing(error)) throw error
    t.fail('POST /auth/logout through the SDK', { todo: 'the route is not there yet' })
  }
  if (loggedOut) {
    const after = await problemOf(api.GET('/auth/me'))
    t.equal(after.status, 401, 'after logout the access token stops working at once')
  }
})

t.test('the SDK: a token source of your own, an explicit Authorization header wins, non-problem errors still throw', async (t) => {
  const baseUrl = await startServer(t)
  const anonymous = createSecureApiClient({ baseUrl: `${baseUrl}/` })
  const username = uniqueUsername('sdk')
  unwrap(await anonymous.POST('/auth/register', { body: { username, password: STRONG_PASSWORD } }))
  const tokens = tokensOf(unwrap(await anonymous.POST('/auth/login', { body: { username, password: STRONG_PASSWORD } })))

  let reads = 0
  const api = createSecureApiClient({ baseUrl, accessToken: async () => { reads++; return tokens.access_token } })
  t.equal(unwrap(await api.GET('/auth/me')).username, username, 'the token source is asked for every request')
  t.equal(reads, 1)

  const overridden = await problemOf(api.GET('/auth/me', { headers: { authorization: 'Bearer not-a-token' } }))
  t.equal(overridden.status, 401, 'a per-call Authorization header is not replaced by the middleware')

  // A body that is not a problem document (here: a proxy's HTML) still becomes an ApiProblemError.
  const proxy = createSecureApiClient({ baseUrl, fetch: async () => new Response('<html>bad gateway</html>', { status: 502, statusText: 'Bad Gateway', headers: { 'content-type': 'text/html' } }) })
  const error = await problemOf(proxy.GET('/protected'))
  t.equal(error.status, 502)
  t.equal(error.problem.title, 'Bad Gateway')
  t.match(error.message, /^502 Bad Gateway/)
})
