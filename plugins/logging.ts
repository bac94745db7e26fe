import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'

/**
 * Request logging: pino (src/logger.ts) writes the lines with secrets redacted; this plugin
 * echoes the request id and writes one access line per request (Fastify's own "incoming
 * request" / "request completed" pair is disabled in build-app.ts: half the log writes, and
 * the one line knows the status, the duration and who asked). Audit events and security
 * warnings live in plugins/audit.ts.
 */
async function loggingPlugin (fastify: FastifyInstance): Promise<void> {
  // Echoed on every response, errors included, so a caller can quote it to support. A callback
  // hook: no promise per request for one header.
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id)
    done()
  })

  fastify.addHook('onResponse', (request, reply, done) => {
    // The child logger already carries reqId; `req` goes through the serializer in src/logger.ts
    // (method, path without query, ip), as in the old pair of lines; plus status, duration, the
    // route pattern and the user.
    request.log.info({
      req: request,
      route: request.routeOptions.url,
      res: { statusCode: reply.statusCode },
      responseTime: reply.elapsedTime,
      user_id: request.principal?.userId
    }, 'request completed')
    done()
  })
}

export default fp(loggingPlugin, { name: 'logging', fastify: '5.x' })
