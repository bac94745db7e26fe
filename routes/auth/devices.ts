import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { DeviceTokenRow } from '../../src/db/schema.js'
import { notFound } from '../../src/lib/problems.js'
import { authRateLimit } from '../../src/lib/route-limits.js'
import { listLiveDeviceTokens, revokeOwnDeviceToken } from '../../src/repositories/device-tokens.js'
import { Uuid } from '../../src/schemas/common.js'
import { DeviceListSchema, type Device } from '../../src/schemas/devices.js'
import { problems } from '../../src/schemas/problem.js'

/** The public shape of a device token: never its hash. */
function toDevice (row: DeviceTokenRow): Device {
  return { id: row.id, created_at: row.created_at, last_used_at: row.last_used_at, expires_at: row.expires_at, user_agent: row.user_agent, ip: row.ip }
}

const devicesRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/devices', {
    config: { auth: 'user', rateLimit: authRateLimit(fastify.config) },
    schema: {
      operationId: 'listDevices',
      tags: ['auth'],
      summary: 'List your device tokens',
      description: 'The devices where you logged in successfully and whose device token still works: a login that sends it is throttled on that device alone. They all end when the password changes.',
      response: { 200: Type.Ref(DeviceListSchema, { description: 'Your live device tokens' }), ...problems(429, 503) }
    }
  }, async (request) => {
    const principal = request.principal
    if (principal === null) return { items: [] }
    return { items: (await listLiveDeviceTokens(fastify.db, principal.userId, new Date())).map(toDevice) }
  })

  fastify.delete('/devices/:id', {
    config: { auth: 'user', rateLimit: authRateLimit(fastify.config) },
    schema: {
      operationId: 'deleteDevice',
      tags: ['auth'],
      summary: 'Forget one of your device tokens',
      description: 'Ends a device token (a lost phone, say): logins sending it are throttled like anonymous ones again. Sessions are not ended; end them with DELETE /auth/sessions/{id}. Another user\'s device, or one already ended, answers 404.',
      params: Type.Object({ id: Uuid }, { additionalProperties: false }),
      response: { 204: Type.Null({ description: 'The device token has ended' }), ...problems(404, 429, 503) }
    }
  }, async (request, reply) => {
    const principal = request.principal
    const { id } = request.params
    const ended = principal !== null && await revokeOwnDeviceToken(fastify.db, principal.userId, id, new Date())
    await request.audit('device_token_revoke', ended ? 'success' : 'failure', { user_id: principal?.userId ?? null, device_id: id, ...(ended ? {} : { reason: 'not found or not the caller\'s' }) })
    if (!ended) throw notFound('No live device token of yours has this id.')
    return await reply.code(204).send(null)
  })
}

export default devicesRoutes
