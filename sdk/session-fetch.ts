import type { components } from './schema.js'
import type { TokenStore, StoredTokens } from './token-store.js'

type TokenResponse = components['schemas']['TokenResponse']

/** The calls that were waiting on a refresh the server refused: the user must log in again. */
export class SessionEndedError extends Error {
  constructor () {
    super('The session has ended: the server refused the refresh token. Log in again.')
    this.name = 'SessionEndedError'
  }
}

/** A refresh that failed for another reason (network, 429, 5xx): the session may still be alive. */
export class RefreshFailedError extends Error {
  readonly status: number | undefined

  constructor (status: number | undefined, cause?: unknown) {
    super(status === undefined ? 'The token refresh did not reach the server.' : `The token refresh answered ${status}.`, { cause })
    this.name = 'RefreshFailedError'
    this.status = status
  }
}

export interface SessionFetchOptions {
  baseUrl: string
  store: TokenStore
  fetch: (input: Request) => Promise<Response>
  headers?: Record<string, string>
  /** Called once when the server refuses the refresh token (logout elsewhere, revocation, expiry). */
  onSessionEnded?: () => void | Promise<void>
}

/**
 * The refresh that replaced one access token, per token store, so clients sharing a store share
 * the single flight too. Kept (not cleared) after it settles, so a call that read the store
 * before the refresh finished can never start a second one.
 */
interface Flight { last: { stale: string, result: Promise<string | null> } | null }
const flights = new WeakMap<TokenStore, Flight>()

/**
 * RFC 6750 §3.1: only a refused token (error="invalid_token") is worth a refresh. A 401 without
 * it (no token sent, wrong password) or a 403 would fail the same way with a new token.
 */
function tokenRefused (response: Response): boolean {
  return response.status === 401 && /error="invalid_token"/.test(response.headers.get('www-authenticate') ?? '')
}

function withBearer (request: Request, accessToken: string): Request {
  request.headers.set('authorization', `Bearer ${accessToken}`)
  return request
}

/**
 * A fetch that sends the stored access token and, when the server refuses it, refreshes the
 * session once and retries the request once.
 *
 * Single flight: refresh tokens are single use, and the server treats a second refresh with
 * the same token as a replay and ends the whole session (RFC 9700 §4.14.2). So however many
 * calls fail with the same stale access token at once, exactly one refresh runs and every one
 * of them waits for its outcome. A call whose stale token was already replaced just retries
 * with the current one.
 */
export function sessionFetch (options: SessionFetchOptions): (input: Request) => Promise<Response> {
  const { store, fetch: baseFetch } = options
  const flight: Flight = flights.get(store) ?? { last: null }
  flights.set(store, flight)

  async function refresh (tokens: Required<StoredTokens>): Promise<string | null> {
    let response: Response
    try {
      response = await baseFetch(new Request(`${options.baseUrl}/auth/refresh`, {
        method: 'POST',
        headers: { ...options.headers, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ refresh_token: tokens.refresh_token })
      }))
    } catch (error) {
      throw new RefreshFailedError(undefined, error)
    }
    if (response.status === 401) {
      await response.body?.cancel()
      await store.set(null)
      await options.onSessionEnded?.()
      return null
    }
    if (!response.ok) {
      await response.body?.cancel()
      throw new RefreshFailedError(response.status)
    }
    const fresh = await response.json() as TokenResponse
    await store.set({ access_token: fresh.access_token, refresh_token: fresh.refresh_token })
    return fresh.access_token
  }

  /** The access token to retry with, or null when the session is over. */
  async function replacementFor (stale: string): Promise<string | null> {
    if (flight.last?.stale === stale) return await flight.last.result
    const current = await store.get()
    // Checked again after the await: another call may have started the refresh meanwhile.
    if (flight.last?.stale === stale) return await flight.last.result
    if (current === null) return null
    if (current.access_token !== stale) return current.access_token
    if (current.refresh_token === undefined) return null
    const started = { stale, result: refresh({ access_token: current.access_token, refresh_token: current.refresh_token }) }
    flight.last = started
    // A transient failure must not stick to this token: the next failing call may try again.
    started.result.catch(() => { if (flight.last === started) flight.last = null })
    return await started.result
  }

  return async (request: Request): Promise<Response> => {
    // A per-call Authorization header is the caller's business: no token of ours, no refresh.
    if (request.headers.has('authorization')) return await baseFetch(request)
    const tokens = await store.get()
    if (tokens === null) return await baseFetch(request)
    const retry = request.clone()
    const response = await baseFetch(withBearer(request, tokens.access_token))
    if (!tokenRefused(response) || tokens.refresh_token === undefined) return response
    const fresh = await replacementFor(tokens.access_token)
    if (fresh === null) {
      await response.body?.cancel()
      throw new SessionEndedError()
    }
    await response.body?.cancel()
    return await baseFetch(withBearer(retry, fresh))
  }
}
