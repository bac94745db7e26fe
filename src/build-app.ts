import { readFileSync } from 'node:fs'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { LogController, type FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { DestinationStream } from 'pino'
import app from './app.js'
import type { AuthTestHooks } from './auth/test-hooks.js'
import { splitList, type Config } from './config.js'
import { createValidatorCompiler } from './lib/validation.js'
import { loggerOptions, requestIdFor } from './logger.js'
import { sharedSchemas } from './schemas/index.js'
import configPlugin from '../plugins/config.js'
import { clientErrorHandler, frameworkErrorHandler } from '../plugins/problem-details.js'

export interface BuildOptions {
  /** Where log lines go (tests capture them here); stdout when absent. */
  logStream?: DestinationStream
  /** Tests only: pause points that force race interleavings (src/auth/test-hooks.ts). */
  testHooks?: AuthTestHooks
}

/** Timeouts and sizes that bound what one client can hold (F2). */
export const SERVER_LIMITS = {
  connectionTimeout: 60_000,
  requestTimeout: 30_000,
  keepAliveTimeout: 72_000,
  maxHeaderSize: 16_384,
  maxParamLength: 200
} as const

function tlsOptions (config: Config): { cert: Buffer, key: Buffer } | null {
  if (config.TLS_CERT_FILE === undefined || config.TLS_KEY_FILE === undefined) return null
  return { cert: readFileSync(config.TLS_CERT_FILE), key: readFileSync(config.TLS_KEY_FILE) }
}

/** The one place a Fastify instance is made: the server, the tests, the scripts and the benchmarks all call it. */
export async function buildApp (config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  const trustedProxies = splitList(config.TRUST_PROXY)
  const https = tlsOptions(config)
  const fastify = Fastify({
    logger: loggerOptions(config, options.logStream),
    genReqId: requestIdFor,
    // One access line per request, written by plugins/logging.ts, instead of Fastify's two (issue 10).
    logController: new LogController({ disableRequestLogging: true }),
    requestIdHeader: false,
    // Only the listed proxies may speak for the client (D7); never true or a hop count.
    trustProxy: trustedProxies.length > 0 ? trustedProxies : false,
    bodyLimit: config.BODY_LIMIT,
    connectionTimeout: SERVER_LIMITS.connectionTimeout,
    requestTimeout: SERVER_LIMITS.requestTimeout,
    keepAliveTimeout: SERVER_LIMITS.keepAliveTimeout,
    routerOptions: { maxParamLength: SERVER_LIMITS.maxParamLength },
    // headersTimeout within requestTimeout, as Node expects (Fastify sets the latter after creation).
    http: { maxHeaderSize: SERVER_LIMITS.maxHeaderSize, headersTimeout: SERVER_LIMITS.requestTimeout },
    ...(https === null ? {} : { https }),
    // Parser-level refusals (431, 408, bad HTTP) answer problem+json too (B4).
    clientErrorHandler,
    frameworkErrors: frameworkErrorHandler,
    // Answered by plugins/problem-details.ts instead, as a problem document like every error.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    // Autoloading every route under a TypeScript loader on a busy CI machine can pass the 10 s default.
    pluginTimeout: 30_000
  }).withTypeProvider<TypeBoxTypeProvider>()

  fastify.setValidatorCompiler(createValidatorCompiler(sharedSchemas))
  for (const schema of sharedSchemas) fastify.addSchema(schema)
  // Only JSON bodies: text/plain would otherwise be parsed and answered 400 instead of 415 (F3).
  fastify.removeAllContentTypeParsers()
  fastify.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: config.BODY_LIMIT }, parseJson)

  try {
    await fastify.register(configPlugin, { config, testHooks: options.testHooks })
    // Not encapsulated: the root instance (and so tests and scripts) sees every decorator.
    await fastify.register(fp(app, { name: 'app' }))
  } catch (error) {
    // A start that fails half-way (a wrong KEY_ENCRYPTION_SECRET, say) must not leave pools open.
    await fastify.close().catch(() => {})
    throw error
  }
  return fastify
}

/** JSON.parse, refusing prototype-poisoning keys instead of silently keeping them. */
function parseJson (_request: unknown, body: string | Buffer, done: (error: Error | null, value?: unknown) => void): void {
  const text = typeof body === 'string' ? body : body.toString('utf8')
  // No body at all: fine for operations that take none (logout, DELETE), while any operation
  // with a body schema still answers 400 through validation. Clients often send the header always.
  if (text.length === 0) {
    done(null, undefined)
    return
  }
  try {
    done(null, JSON.parse(text, (key, value: unknown) => {
      if (key === '__proto__' || key === 'constructor' || key === 'prototype') throw new SyntaxError('forbidden key')
      return value
    }))
  } catch {
    done(Object.assign(new Error('invalid JSON'), { statusCode: 400 }))
  }
}
