/**
 * Where the client keeps the session's tokens. The default lives in memory and dies with the
 * process; give your own (an encrypted file, the OS keychain, a browser's sessionStorage) to
 * keep a session across restarts. The client reads the store before every request and writes
 * it after every refresh, so a store shared by several clients stays consistent.
 */
export interface StoredTokens {
  access_token: string
  /** Absent when the caller only has an access token: a 401 then ends the call, no refresh. */
  refresh_token?: string
}

export interface TokenStore {
  get: () => StoredTokens | null | Promise<StoredTokens | null>
  /** null forgets the session (after logout, or when the server ended it). */
  set: (tokens: StoredTokens | null) => void | Promise<void>
}

export function memoryTokenStore (initial: StoredTokens | null = null): TokenStore {
  let current = initial
  return {
    get: () => current,
    set: (tokens) => { current = tokens }
  }
}
