import { Type } from '@sinclair/typebox'
import { PASSWORD_MAX_LENGTH } from '../security/password-policy.js'
import { Timestamp } from './common.js'

/** RFC 5321's practical limit; the format refuses spaces and line breaks (nothing reaches a mail header unchecked). */
export const EmailSchema = Type.String({ format: 'email', minLength: 3, maxLength: 254, description: 'An email address', examples: ['ada@example.com'] })

/** Tokens we hand out are 43 base64url characters (256 bits); anything else is simply not one of ours. */
const RecoveryToken = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$', description: 'The token from the link in the message (after `#token=`)', examples: ['q3T1rVq0bq3u8pYQx3lqvXc2oA0tWk2pQ7b6y8n1m4E'] })

export const EmailChangeRequestSchema = Type.Object({
  email: EmailSchema
}, { $id: 'EmailChangeRequest', title: 'EmailChangeRequest', description: 'The address to verify and then use for recovery', additionalProperties: false, examples: [{ email: 'ada@example.com' }] })

export const EmailVerificationSchema = Type.Object({
  token: RecoveryToken
}, { $id: 'EmailVerification', title: 'EmailVerification', description: 'The token mailed to the new address', additionalProperties: false, examples: [{ token: 'q3T1rVq0bq3u8pYQx3lqvXc2oA0tWk2pQ7b6y8n1m4E' }] })

export const PasswordResetRequestSchema = Type.Object({
  email: EmailSchema
}, { $id: 'PasswordResetRequest', title: 'PasswordResetRequest', description: 'The verified address of the account', additionalProperties: false, examples: [{ email: 'ada@example.com' }] })

export const PasswordResetSchema = Type.Object({
  token: RecoveryToken,
  new_password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH, description: 'Obeys the password policy (see POST /auth/register)' })
}, {
  $id: 'PasswordReset',
  title: 'PasswordReset',
  description: 'A reset token (mailed, or handed over by an administrator) and the new password',
  additionalProperties: false,
  examples: [{ token: 'q3T1rVq0bq3u8pYQx3lqvXc2oA0tWk2pQ7b6y8n1m4E', new_password: 'a new and much longer passphrase' }]
})

export const AcceptedSchema = Type.Object({
  status: Type.Literal('accepted'),
  message: Type.String({ maxLength: 256 })
}, { $id: 'Accepted', title: 'Accepted', description: 'The request was taken; what follows happens by mail', additionalProperties: false })

export const AdminPasswordResetSchema = Type.Object({
  reset_token: Type.String({ minLength: 43, maxLength: 43, pattern: '^[A-Za-z0-9_-]+$', description: 'Single use; give it to the account\'s owner out of band; they send it to POST /auth/password-reset' }),
  expires_at: Timestamp
}, {
  $id: 'AdminPasswordReset',
  title: 'AdminPasswordReset',
  description: 'A reset token for out-of-band handover (30 minutes, single use)',
  additionalProperties: false,
  examples: [{ reset_token: 'q3T1rVq0bq3u8pYQx3lqvXc2oA0tWk2pQ7b6y8n1m4E', expires_at: '2026-05-01T12:30:00.000Z' }]
})
