import { join } from 'node:path'
import autoload from '@fastify/autoload'
import type { FastifyInstance } from 'fastify'
import auditPlugin from '../plugins/audit.js'
import accessTokensPlugin from '../plugins/access-tokens.js'
import authPlugin from '../plugins/auth.js'
import corsPlugin from '../plugins/cors.js'
import dbPlugin from '../plugins/db.js'
import factorSecretsPlugin from '../plugins/factor-secrets.js'
import drainPlugin from '../plugins/drain.js'
import loggingPlugin from '../plugins/logging.js'
import mailPlugin from '../plugins/mail.js'
import metricsPlugin from '../plugins/metrics.js'
import passwordsPlugin from '../plugins/passwords.js'
import problemDetailsPlugin from '../plugins/problem-details.js'
import prunePlugin from '../plugins/prune.js'
import rateLimitPlugin from '../plugins/rate-limit.js'
import revocationsPlugin from '../plugins/revocations.js'
import securityHeadersPlugin from '../plugins/security-headers.js'
import swaggerPlugin from '../plugins/swagger.js'

/**
 * The application: cross-cutting plugins in an explicit order (each one needs what comes
 * before it, and hook-installing plugins must precede the routes), then every route file
 * under routes/, autoloaded with its folder as URL prefix.
 */
export default async function app (fastify: FastifyInstance): Promise<void> {
  await fastify.register(loggingPlugin)
  // Early: its Connection: close must reach every answer given while the instance drains.
  await fastify.register(drainPlugin)
  await fastify.register(securityHeadersPlugin)
  await fastify.register(corsPlugin)
  await fastify.register(dbPlugin)
  await fastify.register(auditPlugin)
  await fastify.register(prunePlugin)
  await fastify.register(mailPlugin)
  // Before auth: its per-route hook must run before the authentication guard.
  await fastify.register(rateLimitPlugin)
  await fastify.register(passwordsPlugin)
  await fastify.register(accessTokensPlugin)
  await fastify.register(factorSecretsPlugin)
  await fastify.register(revocationsPlugin)
  await fastify.register(authPlugin)
  await fastify.register(problemDetailsPlugin)
  await fastify.register(metricsPlugin)
  await fastify.register(swaggerPlugin)
  await fastify.register(autoload, {
    dir: join(import.meta.dirname, '..', 'routes'),
    dirNameRoutePrefix: true,
    ignorePattern: /(^|[/\\])_|\.d\.ts$|\.map$/
  })
}
