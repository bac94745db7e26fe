import { Type } from '@sinclair/typebox'

export const Uuid = Type.String({ format: 'uuid', maxLength: 36, description: 'A random UUID' })
export const Timestamp = Type.String({ format: 'date-time', maxLength: 32, description: 'RFC 3339, UTC' })

export const UsernameSchema = Type.String({
  minLength: 3, maxLength: 64, pattern: '^[A-Za-z0-9._-]+$',
  description: 'Letters, digits, ".", "_" and "-"; compared case-insensitively',
  examples: ['ada.lovelace']
})

export const PageQuery = Type.Object({
  limit: Type.Integer({ format: 'int32', minimum: 1, maximum: 100, default: 20, description: 'Page size (1..100)' }),
  cursor: Type.Optional(Type.String({ maxLength: 512, description: 'Opaque cursor from a previous page\'s next_cursor' }))
}, { additionalProperties: false })

export const RoleSchema = Type.Union([Type.Literal('user'), Type.Literal('admin')], { description: 'A role' })
