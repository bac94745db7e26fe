import { Type, type Static } from '@sinclair/typebox'
import { PASSWORD_MAX_LENGTH } from '../security/password-policy.js'
import { RoleSchema, Timestamp, UsernameSchema, Uuid } from './common.js'

/** K8: only a verified address is ever shown (or used); a pending change is not. */
const EmailFields = {
  email: Type.Union([Type.String({ maxLength: 254, description: 'The verified address', examples: ['ada@example.com'] }), Type.Null()], { description: 'The verified email address, or null' }),
  email_verified: Type.Boolean({ description: 'true when `email` is set: only verified addresses are kept' })
}

export const UserSchema = Type.Object({
  id: Uuid,
  username: UsernameSchema,
  roles: Type.Array(RoleSchema, { maxItems: 2 }),
  created_at: Timestamp,
  ...EmailFields
}, { $id: 'User', title: 'User', description: 'An account', additionalProperties: false })

export const AdminUserSchema = Type.Object({
  id: Uuid,
  username: UsernameSchema,
  roles: Type.Array(RoleSchema, { maxItems: 2 }),
  created_at: Timestamp,
  ...EmailFields,
  disabled: Type.Boolean(),
  last_login_at: Type.Union([Timestamp, Type.Null()])
}, { $id: 'AdminUser', title: 'AdminUser', description: 'An account as administrators see it', additionalProperties: false })

export const CredentialsSchema = Type.Object({
  username: UsernameSchema,
  password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH, description: 'Any Unicode; compared exactly', examples: ['correct horse battery staple'] })
}, {
  $id: 'Credentials',
  title: 'Credentials',
  description: 'A username and password',
  additionalProperties: false,
  examples: [{ username: 'ada.lovelace', password: 'correct horse battery staple' }]
})

export const LoginRequestSchema = Type.Object({
  username: UsernameSchema,
  password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH, description: 'Any Unicode; compared exactly', examples: ['correct horse battery staple'] }),
  device_token: Type.Optional(Type.String({
    minLength: 1,
    maxLength: 128,
    description: 'The device_token of an earlier successful login of this account on this device, if you kept it: this attempt is then throttled on the device\'s own budget, so someone else hammering the username cannot lock you out (OWASP "device cookies"). An unknown, expired or foreign token is ignored.'
  }))
}, {
  $id: 'LoginRequest',
  title: 'LoginRequest',
  description: 'A username and password, and optionally the device token of an earlier login',
  additionalProperties: false,
  examples: [{ username: 'ada.lovelace', password: 'correct horse battery staple' }]
})

export type User = Static<typeof UserSchema>
export type Credentials = Static<typeof CredentialsSchema>
