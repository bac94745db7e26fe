import { Type, type Static } from '@sinclair/typebox'
import { Timestamp, Uuid } from './common.js'

/** At most this many live sessions are listed, the newest first. */
export const MAX_LISTED_SESSIONS = 100

export const SessionSchema = Type.Object({
  id: Uuid,
  created_at: Timestamp,
  last_used_at: Type.String({ format: 'date-time', maxLength: 32, description: 'Login or last refresh, RFC 3339 UTC' }),
  expires_at: Type.String({ format: 'date-time', maxLength: 32, description: 'When the session ends unless refreshed before: the idle limit, capped by the absolute lifetime (RFC 3339 UTC)' }),
  user_agent: Type.Union([Type.String({ maxLength: 256 }), Type.Null()], { description: 'User-Agent of the login or last refresh' }),
  ip: Type.Union([Type.String({ maxLength: 64 }), Type.Null()], { description: 'Client address of the login or last refresh' }),
  current: Type.Boolean({ description: 'True for the session of the access token making this request' })
}, { $id: 'Session', title: 'Session', description: 'A login session: one chain of refresh tokens', additionalProperties: false })

export const SessionListSchema = Type.Object({
  items: Type.Array(Type.Ref(SessionSchema), { maxItems: MAX_LISTED_SESSIONS })
}, { $id: 'SessionList', title: 'SessionList', description: 'The caller\'s live sessions, newest first', additionalProperties: false })

export type Session = Static<typeof SessionSchema>
