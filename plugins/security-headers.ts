import helmet from '@fastify/helmet'
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'

/** One year, as requirement G2 and the OWASP HSTS cheat sheet ask. */
const HSTS = 'max-age=31536000; includeSubDomains'

/**
 * Helmet on every response, errors included (G1). The API's CSP allows nothing, since it serves
 * only JSON; Swagger UI gets its own CSP from @fastify/swagger-ui (plugins/swagger.ts).
 */
async function securityHeadersPlugin (fastify: FastifyInstance): Promise<void> {
  await fastify.register(helmet, {
    global: true,
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
    hsts: false,
    crossOriginResourcePolicy: { policy: 'same-origin' }
  })

  // Sent when the request reached us over HTTPS: directly, or through a proxy listed in
  // TRUST_PROXY that said so in X-Forwarded-Proto (Fastify believes only trusted proxies).
  fastify.addHook('onRequest', async (request, reply) => {
    if (request.protocol === 'https') reply.header('strict-transport-security', HSTS)
  })
}

export default fp(securityHeadersPlugin, { name: 'security-headers', fastify: '5.x' })
