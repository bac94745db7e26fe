import { Type } from '@sinclair/typebox'
import { RoleSchema } from './common.js'
import { AdminUserSchema } from './users.js'

export const AdminUserPageSchema = Type.Object({
  items: Type.Array(Type.Ref(AdminUserSchema), { maxItems: 100 }),
  next_cursor: Type.Union([Type.String({ maxLength: 512, pattern: '^[A-Za-z0-9_-]+$' }), Type.Null()], { description: 'Pass as ?cursor= for the next page; null on the last page' })
}, { $id: 'AdminUserPage', title: 'AdminUserPage', description: 'A page of accounts, oldest first', additionalProperties: false })

export const AdminUserUpdateSchema = Type.Object({
  roles: Type.Optional(Type.Array(RoleSchema, { minItems: 1, maxItems: 2, uniqueItems: true, description: 'The complete new set of roles' })),
  disabled: Type.Optional(Type.Boolean({ description: 'true ends every session of the user and refuses their logins' }))
}, {
  $id: 'AdminUserUpdate',
  title: 'AdminUserUpdate',
  description: 'Fields to change; anything else is refused',
  additionalProperties: false,
  minProperties: 1,
  examples: [{ disabled: true }, { roles: ['user', 'admin'] }]
})
