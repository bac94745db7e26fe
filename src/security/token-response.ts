import type { SessionRow } from '../db/schema.js'
import type { TokenResponse } from '../schemas/tokens.js'

/** The body of a login or refresh: the refresh token lives until the session's idle or absolute end. */
export function tokenResponse (accessToken: string, accessTtlSeconds: number, refreshToken: string, session: SessionRow, deviceToken?: string): TokenResponse {
  const end = session.idle_expires_at < session.expires_at ? session.idle_expires_at : session.expires_at
  return {
    access_token: accessToken,
    token_type: 'Bearer',
    expires_in: accessTtlSeconds,
    refresh_token: refreshToken,
    refresh_token_expires_in: Math.max(0, Math.floor((Date.parse(end) - Date.now()) / 1000)),
    ...(deviceToken === undefined ? {} : { device_token: deviceToken })
  }
}
