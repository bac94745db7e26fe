import type { IncomingMessage, ServerResponse } from 'node:http'
import { createRequire } from 'node:module'
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type helmetModule from 'helmet'
import type { HelmetOptions } from 'helmet'

/** One year, as requirement G2 and the OWASP HSTS cheat sheet ask. */
const HSTS = 'max-age=31536000; includeSubDomains'

/**
 * The API's helmet configuration. Its CSP allows nothing, since the API serves only JSON;
 * Swagger UI sets its own CSP on its routes (@fastify/swagger-ui, plugins/swagger.ts).
 */
export const HELMET_OPTIONS: HelmetOptions = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      'default-src': ["'none'"],
      'frame-ancestors': ["'none'"],
      'base-uri': ["'none'"],
      'form-action': ["'none'"]
    }
  },
  referrerPolicy: { policy: 'no-referrer' },
  // Agrees with frame-ancestors 'none' for browsers that only know the older header.
  xFrameOptions: { action: 'deny' },
  // HSTS only where it means something: see the hook below.
  strictTransportSecurity: false,
  crossOriginResourcePolicy: { policy: 'same-origin' }
}

/**
 * The helmet that @fastify/helmet itself runs (resolved from that package, so the version
 * cannot drift from the plugin the design names).
 */
const helmet = createRequire(createRequire(import.meta.url).resolve('@fastify/helmet'))('helmet') as typeof helmetModule

/**
 * Runs helmet once, against a recording response, and keeps what it set. With a static
 * configuration (no CSP nonces) helmet sets the same headers on every response, so the
 * per-request work (@fastify/helmet runs two hooks and helmet's middleware chain per request)
 * buys nothing; test/plugins/response-headers.test.ts pins that the answers are unchanged.
 */
export function staticSecurityHeaders (options: HelmetOptions = HELMET_OPTIONS): Record<string, string> {
  const headers: Record<string, string> = {}
  const recorder = {
    setHeader (name: string, value: string | number | readonly string[]) { headers[name.toLowerCase()] = String(value) },
    removeHeader (name: string) { delete headers[name.toLowerCase()] }
  }
  let failure: unknown
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => { failure = error })
  if (failure !== undefined) throw failure instanceof Error ? failure : new Error('helmet refused its configuration')
  return Object.freeze(headers)
}

/** Helmet's headers on every response, errors included (G1), computed once at start. */
async function securityHeadersPlugin (fastify: FastifyInstance): Promise<void> {
  const headers = staticSecurityHeaders()
  const names = Object.keys(headers)
  // A callback hook, not an async one: no promise per request for a few constant headers.
  fastify.addHook('onRequest', (request, reply, done) => {
    for (const name of names) reply.header(name, headers[name])
    // Sent when the request reached us over HTTPS: directly, or through a proxy listed in
    // TRUST_PROXY that said so in X-Forwarded-Proto (Fastify believes only trusted proxies).
    if (request.protocol === 'https') reply.header('strict-transport-security', HSTS)
    done()
  })
}

export default fp(securityHeadersPlugin, { name: 'security-headers', fastify: '5.x' })
