/**
 * `@secure-api/client`: a typed client for the Secure API. `openapi-fetch` over the types that
 * `npm run sdk:generate` writes to sdk/schema.d.ts from openapi/openapi.json, plus the token
 * lifecycle: the client keeps the session's tokens in a TokenStore, sends the access token,
 * and when the server refuses it (401 invalid_token) refreshes once for all waiting calls and
 * retries each call once.
 *
 *   const api = createSecureApiClient({ baseUrl: 'http://127.0.0.1:3000', onSessionEnded: () => showLogin() })
 *   await api.login({ username, password })
 *   const note = unwrap(await api.POST('/notes', { body: { title: 'Hello', body: '' } }))
 */
import createClient, { type Client } from 'openapi-fetch'
import { isMfaChallenge, MfaRequiredError, type LoginRequest, type MfaAnswer, type MfaChallenge, type MfaStep, type ReauthenticateRequest, type TokenResponse } from './login.js'
import { enrolPasskey, passkeyLogin, type CreatePasskeyCredential, type GetPasskeyAssertion, type Passkey } from './passkeys.js'
import { unwrap } from './problems.js'
import type { components, operations, paths } from './schema.js'
import { SessionEndedError, sessionFetch } from './session-fetch.js'
import { memoryTokenStore, type TokenStore } from './token-store.js'

export type { components, operations, paths }
export type Schemas = components['schemas']
export type User = Schemas['User']
export type Note = Schemas['Note']
export type NotePage = Schemas['NotePage']
export { ApiProblemError, isProblem, unwrap, type ApiResult, type Problem, type SuccessData } from './problems.js'
export { isMfaChallenge, MfaRequiredError, type Credentials, type LoginRequest, type MfaAnswer, type MfaChallenge, type MfaStep, type ReauthenticateRequest, type TokenResponse } from './login.js'
export { RefreshFailedError, SessionEndedError } from './session-fetch.js'
export type {
  AuthenticationResponseJSON, CreatePasskeyCredential, GetPasskeyAssertion, Passkey, PasskeyCreationOptions, PasskeyRequestOptions, RegistrationResponseJSON
} from './passkeys.js'
export { issuePasswordReset, requestEmailChange, requestPasswordReset, resetPassword, tokenFromLink, verifyEmail, type AdminPasswordReset } from './recovery.js'
export { memoryTokenStore, type StoredTokens, type TokenStore } from './token-store.js'

/** Where the client reads the access token from before each request (no refresh then). */
export type AccessTokenSource = () => string | null | undefined | Promise<string | null | undefined>

export interface SecureApiClientOptions {
  /** e.g. http://127.0.0.1:3000 (no trailing path). Tokens go to this server only. */
  baseUrl: string
  /** Where the session's tokens live; in memory by default. */
  tokenStore?: TokenStore
  /** Your own access token source instead of a store: sent as is, never refreshed. */
  accessToken?: AccessTokenSource
  /** Called once when the server refuses the refresh token: the session is over, log in again. */
  onSessionEnded?: () => void | Promise<void>
  /** Asks for the second factor of logins that need one; the client sends it to POST /auth/mfa/verify. */
  mfa?: MfaStep
  /** A fetch implementation (tests, proxies); globalThis.fetch by default. */
  fetch?: (input: Request) => Promise<Response>
  headers?: Record<string, string>
}

export interface SecureApiClient extends Client<paths> {
  /** The store the client reads tokens from and writes refreshed tokens to. */
  readonly tokens: TokenStore
  /** Logs in, finishing a second-factor step when the server asks for one, and stores the tokens. */
  login: (credentials: LoginRequest) => Promise<TokenResponse>
  /** Finishes a login that answered an MfaChallenge (when you handle MfaRequiredError yourself), and stores the tokens. */
  verifyMfa: (challenge: MfaChallenge, answer: MfaAnswer) => Promise<TokenResponse>
  /**
   * RFC 9470 step-up: proves again who you are inside this session (password, or a code when
   * the account has a second factor) after a 401 `insufficient_user_authentication`, and
   * stores the session's new tokens. Then retry the refused call.
   */
  reauthenticate: (proof: ReauthenticateRequest) => Promise<TokenResponse>
  /** Ends this session on the server and forgets its tokens. */
  logout: () => Promise<void>
  /** Enrols a passkey for the signed-in user; `create` runs the browser's ceremony (see CreatePasskeyCredential). */
  enrolPasskey: (create: CreatePasskeyCredential, name?: string) => Promise<Passkey>
  /** Logs in with a passkey alone and stores the tokens; `get` runs the browser's ceremony (see GetPasskeyAssertion). */
  loginWithPasskey: (get: GetPasskeyAssertion) => Promise<TokenResponse>
  /** Stores an access token without a refresh token (it is then never refreshed); null forgets the session. */
  setAccessToken: (token: string | null) => void
}

/** A store over a caller's access token source: nothing to refresh with, nothing to write. */
function sourceStore (source: AccessTokenSource): TokenStore {
  return {
    get: async () => {
      const token = await source()
      return typeof token === 'string' && token !== '' ? { access_token: token } : null
    },
    set: () => {}
  }
}

export function createSecureApiClient (options: SecureApiClientOptions): SecureApiClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '')
  const store = options.accessToken === undefined ? options.tokenStore ?? memoryTokenStore() : sourceStore(options.accessToken)
  const fetch = sessionFetch({
    baseUrl,
    store,
    fetch: options.fetch ?? ((request) => globalThis.fetch(request)),
    ...(options.headers === undefined ? {} : { headers: options.headers }),
    ...(options.onSessionEnded === undefined ? {} : { onSessionEnded: options.onSessionEnded })
  })
  const client = createClient<paths>({ baseUrl, fetch, ...(options.headers === undefined ? {} : { headers: options.headers }) })

  async function keep (tokens: TokenResponse): Promise<TokenResponse> {
    await store.set({ access_token: tokens.access_token, refresh_token: tokens.refresh_token })
    return tokens
  }

  async function verifyMfa (challenge: MfaChallenge, answer: MfaAnswer): Promise<TokenResponse> {
    return await keep(unwrap(await client.POST('/auth/mfa/verify', { body: { mfa_token: challenge.mfa_token, ...answer } })))
  }

  async function login (credentials: LoginRequest): Promise<TokenResponse> {
    const body = unwrap(await client.POST('/auth/login', { body: credentials }))
    if (!isMfaChallenge(body)) return await keep(body)
    if (options.mfa === undefined) throw new MfaRequiredError(body)
    return await verifyMfa(body, await options.mfa(body))
  }

  async function reauthenticate (proof: ReauthenticateRequest): Promise<TokenResponse> {
    return await keep(unwrap(await client.POST('/auth/reauthenticate', { body: proof })))
  }

  async function logout (): Promise<void> {
    try {
      const result = await client.POST('/auth/logout')
      // A session that already ended is logged out too; anything else is worth reporting.
      if (result.response.status !== 401) unwrap(result)
    } catch (error) {
      if (!(error instanceof SessionEndedError)) throw error
    } finally {
      await store.set(null)
    }
  }

  async function loginWithPasskey (get: GetPasskeyAssertion): Promise<TokenResponse> {
    const tokens = await passkeyLogin(client, get)
    await store.set({ access_token: tokens.access_token, refresh_token: tokens.refresh_token })
    return tokens
  }

  return Object.assign(client, {
    tokens: store,
    login,
    verifyMfa,
    reauthenticate,
    logout,
    enrolPasskey: async (create: CreatePasskeyCredential, name?: string) => await enrolPasskey(client, create, name),
    loginWithPasskey,
    setAccessToken: (token: string | null) => { void store.set(token === null ? null : { access_token: token }) }
  })
}
