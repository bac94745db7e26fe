import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { readPackageInfo } from '../src/lib/package-info.js'
import { documentResponses } from '../src/openapi/document-responses.js'

const packageJson = readPackageInfo()

export const TAGS = [
  { name: 'auth', description: 'Register, log in, refresh, log out; your account and sessions' },
  { name: 'mfa', description: 'Second factors (TOTP, recovery codes), the MFA login step and RFC 9470 step-up' },
  { name: 'notes', description: 'Your own notes: nobody else can read them' },
  { name: 'admin', description: 'User administration (role admin)' },
  { name: 'examples', description: 'The tutorial\'s demonstration routes' },
  { name: 'keys', description: 'Public keys that verify access tokens' },
  { name: 'health', description: 'Liveness and readiness' }
]

/** A public API (x-internal false, OWASP API9), served by whichever environment runs it. */
const SERVER = { url: '/', description: 'This server: the instance that serves this document (local, staging or production)', 'x-internal': false }

/** What @fastify/rate-limit sends on every throttled route's answers (F1), as reusable header components. */
const RATE_LIMIT_HEADERS = {
  'RateLimit-Limit': { description: 'Requests allowed in the current window', schema: { type: 'integer', format: 'int32', minimum: 0, maximum: 1000000 } },
  'RateLimit-Remaining': { description: 'Requests left in the current window', schema: { type: 'integer', format: 'int32', minimum: 0, maximum: 1000000 } },
  'RateLimit-Reset': { description: 'Seconds until the window resets', schema: { type: 'integer', format: 'int32', minimum: 0, maximum: 86400 } },
  'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer', format: 'int32', minimum: 0, maximum: 86400 } }
} as const

interface OpenApiResponse { headers?: Record<string, unknown> }
interface OpenApiDocument { paths?: Record<string, Record<string, { responses?: Record<string, OpenApiResponse> }>> }

const headerRef = (name: string): { $ref: string } => ({ $ref: `#/components/headers/${name}` })

/** Documents the RateLimit-* headers on every 2xx/4xx of a throttled operation, and Retry-After on 429 and 503. */
function documentRateLimitHeaders (document: OpenApiDocument, unthrottled: Set<string>): OpenApiDocument {
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const operation of Object.values(item)) {
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        const headers: Record<string, unknown> = { ...response.headers }
        if (!unthrottled.has(path) && /^[24]/.test(status)) {
          for (const name of ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset']) headers[name] = headerRef(name)
        }
        if (status === '429' || status === '503') headers['Retry-After'] = headerRef('Retry-After')
        if (Object.keys(headers).length > 0) response.headers = headers
      }
    }
  }
  return document
}

/**
 * The OpenAPI 3.1 document is built from the routes' TypeBox schemas. Shared schemas keep their
 * $id as the component name, so generated SDKs get `User` and `Problem`, not `def-0`.
 */
async function swaggerPlugin (fastify: FastifyInstance): Promise<void> {
  // Routes with `config.rateLimit: false` (health probes) send no RateLimit-* headers, so none are documented there.
  const unthrottled = new Set<string>()
  fastify.addHook('onRoute', (route) => {
    if (route.config?.rateLimit === false) unthrottled.add(route.url.replace(/:(\w+)/g, '{$1}'))
  })
  await fastify.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Secure API',
        version: packageJson.version,
        description: `${packageJson.description}\n\nAuthenticate with \`POST /auth/login\`, then press **Authorize** and paste the \`access_token\`. Every error is an RFC 9457 problem document.`,
        license: { name: 'MIT', identifier: 'MIT' }
      },
      servers: [SERVER],
      tags: TAGS,
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description: 'An access token from POST /auth/login or /auth/refresh: a signed JWT (RFC 9068 profile, typ at+jwt) issued and verified per RFC8725 (one pinned algorithm, keys only from the server\'s own key set, iss/aud/typ/exp checked). Operations that list the role `admin` need that role.'
          }
        },
        headers: RATE_LIMIT_HEADERS
      }
    },
    transformObject: (documentObject) => {
      if (!('openapiObject' in documentObject)) return documentObject.swaggerObject
      // Examples, always-sent headers and bodiless operations' body problems first, so the
      // problems added there get the rate-limit headers too.
      documentResponses(documentObject.openapiObject as unknown as Parameters<typeof documentResponses>[0])
      documentRateLimitHeaders(documentObject.openapiObject as unknown as OpenApiDocument, unthrottled)
      return documentObject.openapiObject
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, index) => typeof json.$id === 'string' ? json.$id : `def-${index}`
    }
  })

  if (!fastify.config.DOCS_ENABLED) return
  await fastify.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    // Swagger UI's own CSP, tightened: never framed (G1), and no image from the public validator.
    // Over plain HTTP (a LAN address, say), upgrade-insecure-requests would send the UI's own
    // requests to https and break it; HSTS does that job where HTTPS is really served.
    transformStaticCSP: (header) => header.replace("frame-ancestors 'self'", "frame-ancestors 'none'").replace(' validator.swagger.io', '')
      .replace(/;?\s*upgrade-insecure-requests/, ''),
    uiConfig: {
      // The validator badge would send this document's URL to validator.swagger.io.
      validatorUrl: null,
      // No top bar: its Swagger logo is an SVG with an inline <style> that the CSP (rightly)
      // blocks before the plugin swaps the logo out; the rest of the UI needs no inline style.
      layout: 'BaseLayout',
      persistAuthorization: true,
      deepLinking: true,
      displayRequestDuration: true,
      tryItOutEnabled: true,
      docExpansion: 'list'
    }
  })
}

export default fp(swaggerPlugin, { name: 'swagger', fastify: '5.x', dependencies: ['config'] })
