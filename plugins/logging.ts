import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { symbols } from 'pino'

interface Flushable { flush: (callback: (error?: Error) => void) => void }

function isFlushable (stream: unknown): stream is Flushable {
  return typeof (stream as Partial<Flushable> | null)?.flush === 'function'
}

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

  // The buffered standard output (src/logger.ts) writes what it still holds before the app is
  // gone: the last lines of a shutdown are the ones an operator reads first.
  fastify.addHook('onClose', (instance, done) => {
    const stream: unknown = (instance.log as unknown as Record<symbol, unknown>)[symbols.streamSym]
    if (!isFlushable(stream)) {
      done()
      return
    }
    // Bounded: a stuck destination must not hold the shutdown (pino still flushes on exit).
    let finished = false
    const finish = (): void => {
      if (finished) return
      finished = true
      clearTimeout(timer)
      done()
    }
    const timer = setTimeout(finish, 1000)
    timer.unref()
    stream.flush(finish)
  })
}

export default fp(loggingPlugin, { name: 'logging', fastify: '5.x' })
