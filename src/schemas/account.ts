import { Type } from '@sinclair/typebox'
import { PASSWORD_MAX_LENGTH } from '../security/password-policy.js'

export const ChangePasswordRequestSchema = Type.Object({
  current_password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH, description: 'The password in use now' }),
  new_password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH, description: 'Obeys the password policy (see POST /auth/register)' })
}, {
  $id: 'ChangePasswordRequest',
  title: 'ChangePasswordRequest',
  additionalProperties: false,
  examples: [{ current_password: 'correct horse battery staple', new_password: 'a new and much longer passphrase' }]
})
