/**
 * A small typed client for the Secure API: `openapi-fetch` over the types that
 * `npm run sdk:generate` writes to sdk/schema.d.ts from openapi/openapi.json. Paths, bodies,
 * query parameters and responses are all checked by TypeScript against the OpenAPI document.
 *
 *   const api = createSecureApiClient({ baseUrl: 'http://127.0.0.1:3000' })
 *   const tokens = unwrap(await api.POST('/auth/login', { body: { username, password } }))
 *   api.setAccessToken(tokens.access_token)
 *   const note = unwrap(await api.POST('/notes', { body: { title: 'Hello', body: '' } }))
 */
import createClient, { type Client, type Middleware } from 'openapi-fetch'
import type { components, operations, paths } from './schema.js'

export type { components, operations, paths }
export type Schemas = components['schemas']
export type Problem = Schemas['Problem']
export type User = Schemas['User']
export type TokenResponse = Schemas['TokenResponse']
export type Note = Schemas['Note']
export type NotePage = Schemas['NotePage']

/** A non-2xx answer: the RFC 9457 problem document the server sent, typed. */
export class ApiProblemError extends Error {
  readonly status: number
  readonly problem: Problem

  constructor (status: number, problem: Problem) {
    super(`${status} ${problem.title}: ${problem.detail}`)
    this.name = 'ApiProblemError'
    this.status = status
    this.problem = problem
  }
}

/** Where the client reads the access token from before each request. */
export type AccessTokenSource = () => string | null | undefined | Promise<string | null | undefined>

/**
 * Sets `Authorization: Bearer <token>` when a token is available and the caller did not set
 * the header itself. The token goes only to the configured server: openapi-fetch builds
 * every URL from baseUrl.
 */
export function bearerAuth (accessToken: AccessTokenSource): Middleware {
  return {
    async onRequest ({ request }) {
      const token = await accessToken()
      if (typeof token === 'string' && token !== '' && !request.headers.has('authorization')) {
        request.headers.set('authorization', `Bearer ${token}`)
      }
      return request
    }
  }
}

export interface SecureApiClientOptions {
  /** e.g. http://127.0.0.1:3000 (no trailing path). */
  baseUrl: string
  /** Reads the access token for each request; defaults to the one given to setAccessToken(). */
  accessToken?: AccessTokenSource
  /** A fetch implementation (tests, proxies); globalThis.fetch by default. */
  fetch?: typeof globalThis.fetch
  headers?: Record<string, string>
}

export interface SecureApiClient extends Client<paths> {
  /** Remembers the access token the default token source hands to every request; null forgets it. */
  setAccessToken: (token: string | null) => void
}

export function createSecureApiClient (options: SecureApiClientOptions): SecureApiClient {
  let current: string | null = null
  const client = createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    ...(options.headers === undefined ? {} : { headers: options.headers })
  })
  client.use(bearerAuth(options.accessToken ?? (() => current)))
  return Object.assign(client, { setAccessToken: (token: string | null) => { current = token } })
}

/** What every openapi-fetch call resolves to: data on success, error otherwise. */
export type ApiResult =
  | { data: unknown, error?: never, response: Response }
  | { data?: never, error: unknown, response: Response }

/** The success body type of a call's result. */
export type SuccessData<R> = R extends { data: infer D, error?: never } ? D : never

function isProblem (value: unknown): value is Problem {
  if (typeof value !== 'object' || value === null) return false
  const candidate = value as Record<string, unknown>
  return typeof candidate.type === 'string' && typeof candidate.title === 'string' && typeof candidate.status === 'number'
}

/**
 * The success body, or an ApiProblemError carrying the server's problem document. A 204
 * resolves to undefined. An error body that is not a problem still throws, with a generic one.
 */
export function unwrap<R extends ApiResult> (result: R): SuccessData<R> {
  if (result.error === undefined && result.response.ok) return result.data as SuccessData<R>
  const status = result.response.status
  const problem: Problem = isProblem(result.error)
    ? result.error
    : { type: 'about:blank', title: result.response.statusText || 'Error', status, detail: 'The server answered without a problem document.', instance: '', request_id: result.response.headers.get('x-request-id') ?? '' }
  throw new ApiProblemError(status, problem)
}
