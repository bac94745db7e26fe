import { Type, type Static } from '@sinclair/typebox'

export const TokenResponseSchema = Type.Object({
  access_token: Type.String({ maxLength: 4096, description: 'A JWT access token (RFC 9068); send it as Authorization: Bearer <token>' }),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer({ format: 'int32', minimum: 1, maximum: 31536000, description: 'Seconds until the access token expires', examples: [900] }),
  refresh_token: Type.String({ maxLength: 64, description: 'Opaque, single-use; exchange it at POST /auth/refresh' }),
  refresh_token_expires_in: Type.Integer({ format: 'int32', minimum: 0, maximum: 31536000, description: 'Seconds until the refresh token expires if unused', examples: [604800] }),
  device_token: Type.Optional(Type.String({ maxLength: 64, description: 'Login only: opaque and long-lived, bound to this account. Keep it on this device and send it with the next login (LoginRequest.device_token). It ends with a password change, a reset or when you delete the device (DELETE /auth/devices/{id}).' }))
}, { $id: 'TokenResponse', title: 'TokenResponse', description: 'Tokens issued at login and refresh', additionalProperties: false })

export const RefreshRequestSchema = Type.Object({
  refresh_token: Type.String({ minLength: 1, maxLength: 512 })
}, { $id: 'RefreshRequest', title: 'RefreshRequest', additionalProperties: false, examples: [{ refresh_token: 'q3x…' }] })

export type TokenResponse = Static<typeof TokenResponseSchema>
