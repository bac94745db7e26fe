import { Type } from '@sinclair/typebox'

export const Uuid = Type.String({ format: 'uuid', maxLength: 36, description: 'A random UUID' })
export const Timestamp = Type.String({ format: 'date-time', maxLength: 32, description: 'RFC 3339, UTC' })

export const UsernameSchema = Type.String({
  minLength: 3,
  maxLength: 64,
  pattern: '^[A-Za-z0-9._-]+$',
  description: 'Letters, digits, ".", "_" and "-"; compared case-insensitively',
  examples: ['ada.lovelace']
})

/**
 * `?limit=&cursor=` of every list. `limit` is optional (Ajv fills in 20), so generated clients
 * need not send it; the cursor is base64url, as the API hands it out.
 */
export const DEFAULT_PAGE_LIMIT = 20

export const PageQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ format: 'int32', minimum: 1, maximum: 100, default: DEFAULT_PAGE_LIMIT, description: 'Page size (1..100, default 20)' })),
  cursor: Type.Optional(Type.String({ maxLength: 512, pattern: '^[A-Za-z0-9_-]+$', description: 'Opaque cursor from a previous page\'s next_cursor' }))
}, { additionalProperties: false })

export const RoleSchema = Type.Union([Type.Literal('user'), Type.Literal('admin')], { description: 'A role' })
