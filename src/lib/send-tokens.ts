import type { FastifyInstance, FastifyReply } from 'fastify'
import type { SessionRow, UserRow } from '../db/schema.js'
import { sessionAuthentication } from '../repositories/sessions.js'
import { parseRoles } from '../repositories/users.js'
import { tokenResponse } from '../security/token-response.js'

export interface SessionTokens {
  session: SessionRow
  refreshToken: string
  /** Sent only when a new device token was issued (login ceremonies). */
  deviceToken?: string | undefined
}

/**
 * The one way a TokenResponse leaves the server (login, MFA step, passkey login, refresh,
 * reauthentication): an access token for the session with the account's roles as they are now
 * (E5) and the session's amr/acr/auth_time (K4), never cached by anyone (Cache-Control: no-store).
 */
export async function sendSessionTokens (fastify: FastifyInstance, reply: FastifyReply, user: UserRow, tokens: SessionTokens): Promise<FastifyReply> {
  const accessToken = fastify.accessTokens.issue({
    userId: user.id,
    username: user.username,
    roles: parseRoles(user.roles),
    sessionId: tokens.session.id,
    authentication: sessionAuthentication(tokens.session)
  })
  return await reply.header('cache-control', 'no-store').header('pragma', 'no-cache')
    .send(tokenResponse(accessToken, fastify.config.ACCESS_TOKEN_TTL, tokens.refreshToken, tokens.session, tokens.deviceToken))
}
