import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'

/**
 * Request logging: pino (src/logger.ts) writes the lines with secrets redacted; this plugin
 * echoes the request id. Audit events and security warnings live in plugins/audit.ts.
 */
async function loggingPlugin (fastify: FastifyInstance): Promise<void> {
  // Echoed on every response, errors included, so a caller can quote it to support.
  fastify.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id)
  })
}

export default fp(loggingPlugin, { name: 'logging', fastify: '5.x' })
