import { Type, type Static } from '@sinclair/typebox'
import { MAX_LISTED_DEVICES } from '../repositories/device-tokens.js'
import { Timestamp, Uuid } from './common.js'

export const DeviceSchema = Type.Object({
  id: Uuid,
  created_at: Timestamp,
  last_used_at: Type.String({ format: 'date-time', maxLength: 32, description: 'Last successful login with this device token (RFC 3339 UTC)' }),
  expires_at: Type.String({ format: 'date-time', maxLength: 32, description: 'Ends unless used again before (DEVICE_TOKEN_TTL after the last use)' }),
  user_agent: Type.Union([Type.String({ maxLength: 256 }), Type.Null()], { description: 'User-Agent of the last login' }),
  ip: Type.Union([Type.String({ maxLength: 64 }), Type.Null()], { description: 'Client address of the last login' })
}, { $id: 'Device', title: 'Device', description: 'A device token: a device where this account logged in successfully', additionalProperties: false })

export const DeviceListSchema = Type.Object({
  items: Type.Array(Type.Ref(DeviceSchema), { maxItems: MAX_LISTED_DEVICES })
}, { $id: 'DeviceList', title: 'DeviceList', description: 'The caller\'s live device tokens, most recently used first', additionalProperties: false })

export type Device = Static<typeof DeviceSchema>
