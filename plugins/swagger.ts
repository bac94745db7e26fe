import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { readFileSync } from 'node:fs'

const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string, description: string }

export const TAGS = [
  { name: 'auth', description: 'Register, log in, refresh, log out; your account and sessions' },
  { name: 'notes', description: 'Your own notes: nobody else can read them' },
  { name: 'admin', description: 'User administration (role admin)' },
  { name: 'examples', description: 'The tutorial\'s demonstration routes' },
  { name: 'keys', description: 'Public keys that verify access tokens' },
  { name: 'health', description: 'Liveness and readiness' }
]

/**
 * The OpenAPI 3.1 document is built from the routes' TypeBox schemas. Shared schemas keep their
 * $id as the component name, so generated SDKs get `User` and `Problem`, not `def-0`.
 */
async function swaggerPlugin (fastify: FastifyInstance): Promise<void> {
  await fastify.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Secure API',
        version: packageJson.version,
        description: `${packageJson.description}\n\nAuthenticate with \`POST /auth/login\`, then press **Authorize** and paste the \`access_token\`. Every error is an RFC 9457 problem document.`,
        license: { name: 'MIT', identifier: 'MIT' }
      },
      servers: [{ url: '/', description: 'This server' }],
      tags: TAGS,
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An access token from POST /auth/login or /auth/refresh' }
        }
      }
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
    transformStaticCSP: (header) => header.replace("frame-ancestors 'self'", "frame-ancestors 'none'").replace(' validator.swagger.io', ''),
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
