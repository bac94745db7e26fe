import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'

declare module 'fastify' {
  interface FastifyInstance {
    /** True from the moment the instance starts closing (SIGTERM): readiness answers 503 from then on. */
    readonly draining: boolean
  }
}

/**
 * Graceful restarts lose nothing (I4). When closing starts, Fastify stops accepting and reaps
 * idle keep-alive connections, but a connection whose request is still running would be kept
 * alive after its answer, and the proxy might send the next request into a socket that is
 * about to close. Every answer given while draining says `Connection: close`, so each
 * connection ends cleanly right after its last response and the proxy opens its next one
 * elsewhere.
 */
async function drainPlugin (fastify: FastifyInstance): Promise<void> {
  let draining = false
  fastify.decorate('draining', { getter: () => draining })
  fastify.addHook('preClose', async () => { draining = true })
  // A callback hook, not an async one: no promise per response for a flag that is almost always false.
  fastify.addHook('onSend', (request, reply, payload, done) => {
    if (draining && request.raw.httpVersionMajor < 2) void reply.header('connection', 'close')
    done(null, payload)
  })
}

export default fp(drainPlugin, { name: 'drain', fastify: '5.x' })
