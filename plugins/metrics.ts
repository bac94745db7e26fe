import { timingSafeEqual } from 'node:crypto'
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import { invalidToken, missingCredentials, notFound } from '../src/lib/problems.js'

declare module 'fastify' {
  interface FastifyInstance {
    metrics: { registry: Registry, logins: Counter<'outcome'> }
  }
}

/** The scheme is case-insensitive (RFC 6750 §2.1, B3); the token is compared in constant time. */
function bearerMatches (request: FastifyRequest, expected: string): boolean {
  const match = /^bearer (\S+)$/i.exec(request.headers.authorization ?? '')
  if (match?.[1] === undefined) return false
  const presented = Buffer.from(match[1])
  const wanted = Buffer.from(expected)
  return presented.length === wanted.length && timingSafeEqual(presented, wanted)
}

/**
 * Prometheus metrics at /metrics, left out of the OpenAPI document. Open in development;
 * in production only with METRICS_TOKEN (a bearer token of its own), otherwise not served.
 */
async function metricsPlugin (fastify: FastifyInstance): Promise<void> {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry]
  })
  const logins = new Counter({ name: 'auth_logins_total', help: 'Login attempts by outcome', labelNames: ['outcome'] as const, registers: [registry] })
  fastify.decorate('metrics', { registry, logins })

  // One labelled child per (method, route, status), bound once: prom-client otherwise hashes the
  // label object on every observe. Bounded: routes and methods are the app's own, statuses few.
  const children = new Map<string, Histogram.Internal<'method' | 'route' | 'status'>>()
  fastify.addHook('onResponse', (request, reply, done) => {
    // The route pattern, never the raw URL, so ids do not explode the label set.
    const route = request.routeOptions.url ?? 'unmatched'
    const key = `${reply.statusCode} ${request.method} ${route}`
    let child = children.get(key)
    if (child === undefined) {
      child = duration.labels(request.method, route, String(reply.statusCode))
      children.set(key, child)
    }
    child.observe(reply.elapsedTime / 1000)
    done()
  })

  const token = fastify.config.METRICS_TOKEN
  const open = token === undefined && fastify.config.NODE_ENV !== 'production'
  fastify.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    if (!open) {
      if (token === undefined) throw notFound()
      // RFC 6750 §3.1: a presented but wrong token is invalid_token; none at all has no error.
      if (!bearerMatches(request, token)) throw request.headers.authorization === undefined ? missingCredentials() : invalidToken()
    }
    return await reply.type(registry.contentType).send(await registry.metrics())
  })
}

export default fp(metricsPlugin, { name: 'metrics', fastify: '5.x', dependencies: ['config'] })
