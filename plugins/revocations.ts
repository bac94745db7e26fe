import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { connectRevocationBroadcast } from '../src/security/revocation-broadcast.js'
import { RevocationList } from '../src/security/revocation-list.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Ended sessions whose access tokens may still be unexpired (A9), shared across instances. */
    revocations: RevocationList
  }
}

async function revocationsPlugin (fastify: FastifyInstance): Promise<void> {
  const { config } = fastify
  const revocations = new RevocationList(fastify.db, config.ACCESS_TOKEN_TTL, config.REVOCATION_POLL_INTERVAL)
  await revocations.sync()
  revocations.start((error) => { fastify.log.error({ err: error }, 'revocation list sync failed') })
  const stopBroadcast = fastify.redis === null
    ? () => {}
    : connectRevocationBroadcast(fastify.redis, `${config.REDIS_KEY_PREFIX}revocations`, revocations, (error) => {
      fastify.log.warn({ err: { message: error instanceof Error ? error.message : 'unknown' } }, 'revocation broadcast unavailable')
    })
  fastify.addHook('onClose', async () => {
    revocations.stop()
    stopBroadcast()
  })
  fastify.decorate('revocations', revocations)
}

export default fp(revocationsPlugin, { name: 'revocations', fastify: '5.x', dependencies: ['config', 'db'] })
