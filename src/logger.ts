import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { FastifyLoggerOptions, FastifyRequest, RawServerDefault } from 'fastify'
import { stdTimeFunctions, type DestinationStream, type LoggerOptions } from 'pino'
import type { Config } from './config.js'

/**
 * Anything that may hold a secret is censored before a line is written (requirement H2):
 * credentials in headers, and password or token fields wherever they sit in a logged object.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  '*.password',
  '*.new_password',
  '*.current_password',
  '*.refresh_token',
  '*.access_token',
  '*.token',
  '*.reset_token',
  'password',
  'refresh_token',
  'access_token',
  'token',
  'reset_token'
]

/** A caller's X-Request-Id is kept only when it is short and plain, so it cannot forge log content. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

export function requestIdFor (raw: IncomingMessage): string {
  const header = raw.headers['x-request-id']
  return typeof header === 'string' && SANE_REQUEST_ID.test(header) ? header : randomUUID()
}

/** The path only: a query string may carry a token someone sent where it does not belong. */
export function pathOf (url: string): string {
  const query = url.indexOf('?')
  return query === -1 ? url : url.slice(0, query)
}

function serializeRequest (request: FastifyRequest): Record<string, unknown> {
  return { method: request.method, path: pathOf(request.url), ip: request.ip }
}

export type LoggerSetup = FastifyLoggerOptions<RawServerDefault> & LoggerOptions & { stream?: DestinationStream }

export function loggerOptions (config: Config, stream?: DestinationStream): LoggerSetup {
  return {
    level: config.LOG_LEVEL,
    redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
    // The same ISO 8601 UTC text as before, from pino's own function.
    timestamp: stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    serializers: {
      req: serializeRequest as unknown as (req: unknown) => Record<string, unknown>
    },
    ...(stream === undefined ? {} : { stream })
  }
}
