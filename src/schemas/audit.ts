import { Type, type Static, type TNull, type TString, type TUnion } from '@sinclair/typebox'
import { PageQuery, Uuid } from './common.js'

function Nullable (schema: TString): TUnion<[TString, TNull]> {
  return Type.Union([schema, Type.Null()])
}

export const AuditEventSchema = Type.Object({
  id: Uuid,
  at: Type.String({ format: 'date-time', maxLength: 32, description: 'When it happened (RFC 3339, UTC); for an aggregated row, its first event' }),
  type: Type.String({ maxLength: 64, description: 'What happened: login, login_throttled, refresh, refresh_reuse_detected, logout, password_change, session_end, register, account_locked, admin_user_update, admin_end_sessions, user_create, auth_invalid_token, auth_missing_credentials, authorization_denied, ...' }),
  outcome: Type.Union([Type.Literal('success'), Type.Literal('failure'), Type.Literal('denied'), Type.Literal('detected')]),
  actor_id: Nullable(Type.String({ maxLength: 36, description: 'The user who acted, or whose name a login attempt used' })),
  subject_id: Nullable(Type.String({ maxLength: 36, description: 'The account acted upon' })),
  session_id: Nullable(Type.String({ maxLength: 36 })),
  ip: Nullable(Type.String({ maxLength: 64 })),
  user_agent: Nullable(Type.String({ maxLength: 256 })),
  request_id: Type.String({ maxLength: 128, description: 'This server\'s request id (or a trusted proxy\'s); never a client\'s own X-Request-Id' }),
  client_request_id: Nullable(Type.String({ maxLength: 128, description: 'The X-Request-Id the client sent, kept apart because a client can choose it' })),
  count: Type.Integer({ format: 'int32', minimum: 1, maximum: 2147483647, description: 'How many events this row stands for: denials are aggregated per actor (or address), type and minute' }),
  details: Type.Record(Type.String(), Type.Unknown(), { description: 'Event-specific fields, e.g. the attempted username or the reason' })
}, { $id: 'AuditEvent', title: 'AuditEvent', description: 'One security event from the durable audit trail', additionalProperties: false })

export const AuditEventPageSchema = Type.Object({
  items: Type.Array(Type.Ref(AuditEventSchema), { maxItems: 100 }),
  next_cursor: Type.Union([Type.String({ maxLength: 512, pattern: '^[A-Za-z0-9_-]+$' }), Type.Null()], { description: 'Pass as ?cursor= for the next page; null on the last page' })
}, { $id: 'AuditEventPage', title: 'AuditEventPage', description: 'A page of audit events, newest first', additionalProperties: false })

export const AuditEventQuery = Type.Composite([PageQuery, Type.Object({
  type: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z_]+$', description: 'Only events of this type' })),
  user_id: Type.Optional(Type.String({ format: 'uuid', maxLength: 36, description: 'Only events where this user acted or was acted upon' })),
  since: Type.Optional(Type.String({ format: 'date-time', maxLength: 32, description: 'Only events at or after this time (RFC 3339)' })),
  until: Type.Optional(Type.String({ format: 'date-time', maxLength: 32, description: 'Only events before this time (RFC 3339)' }))
})], { additionalProperties: false })

export type AuditEvent = Static<typeof AuditEventSchema>
