/**
 * Points where a race test can pause a ceremony and run a competing change to completion
 * (style guide: force the interleaving). Passed to buildApp() by tests only; production never
 * sets them, and no environment variable can.
 */
export interface AuthTestHooks {
  /** After argon2 has accepted the password, before the session is created. */
  afterPasswordVerified?: (username: string) => Promise<void>
  /** After a refresh token was looked up, before its rotation's transaction. */
  beforeRefreshRotation?: (sessionId: string) => Promise<void>
  /** After a passwordless passkey assertion was verified, before the session is created. */
  afterPasskeyVerified?: (passkeyId: string) => Promise<void>
  /** Waits between mail delivery attempts (default 1 s, 4 s), so a failing relay's retries fit a test. */
  mailRetryDelaysMs?: number[]
}
