import { randomUUID } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import fp from 'fastify-plugin'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { isDependencyUnavailable } from '../src/db/errors.js'
import { QueueFullError } from '../src/lib/semaphore.js'
import { HttpProblem, notFound, PROBLEM_TYPE_PREFIX, serviceUnavailable, validationFailed, type ProblemFieldError } from '../src/lib/problems.js'

const LOCATIONS: Record<string, ProblemFieldError['location']> = {
  body: 'body', querystring: 'query', params: 'path', headers: 'header'
}

/** Our own words for framework errors: no library text ever reaches a client (B4). */
const STATUS_PROBLEMS: Record<number, { slug: string, title: string, detail: string }> = {
  400: { slug: 'bad-request', title: 'Bad Request', detail: 'The request body is not valid JSON.' },
  404: { slug: 'not-found', title: 'Not Found', detail: 'No resource exists at this address.' },
  405: { slug: 'method-not-allowed', title: 'Method Not Allowed', detail: 'This method is not allowed here.' },
  406: { slug: 'not-acceptable', title: 'Not Acceptable', detail: 'This API answers in JSON only.' },
  408: { slug: 'request-timeout', title: 'Request Timeout', detail: 'The request took too long to arrive.' },
  413: { slug: 'payload-too-large', title: 'Content Too Large', detail: 'The request body is larger than allowed.' },
  414: { slug: 'uri-too-long', title: 'URI Too Long', detail: 'The request URI is too long.' },
  415: { slug: 'unsupported-media-type', title: 'Unsupported Media Type', detail: 'Send the body as application/json.' },
  429: { slug: 'rate-limited', title: 'Too Many Requests', detail: 'Too many requests; retry later.' },
  431: { slug: 'headers-too-large', title: 'Request Header Fields Too Large', detail: 'The request headers are too large.' }
}

interface ValidationEntry { instancePath?: string, params?: Record<string, unknown>, message?: string }

/** Bounds on what a problem echoes, as documented in the Problem schema: a client's property names can be any length. */
const MAX_POINTER = 512
const MAX_MESSAGE = 512
const MAX_ERRORS = 50
const MAX_INSTANCE = 2048

function pointerOf (entry: ValidationEntry): string {
  const base = entry.instancePath ?? ''
  const extra = entry.params?.missingProperty ?? entry.params?.additionalProperty
  const pointer = typeof extra === 'string' ? `${base}/${extra.replace(/~/g, '~0').replace(/\//g, '~1')}` : base === '' ? '/' : base
  return pointer.slice(0, MAX_POINTER)
}

function messageOf (entry: ValidationEntry): string {
  if (typeof entry.params?.additionalProperty === 'string') return 'is not an allowed property'
  return (entry.message ?? 'is invalid').slice(0, MAX_MESSAGE)
}

/** Maps any error to a problem; unknown errors become a 500 with no detail of what failed. */
export function toProblem (error: unknown): HttpProblem {
  if (error instanceof HttpProblem) return error
  if (error instanceof QueueFullError) return serviceUnavailable('The server is busy; try again shortly.')
  const fastifyError = error as Partial<FastifyError> & { validation?: ValidationEntry[], validationContext?: string }
  if (Array.isArray(fastifyError.validation)) {
    // A path that names no resource (a malformed id) is simply not found, like a missing one.
    if (fastifyError.validationContext === 'params') return notFound()
    const location = LOCATIONS[fastifyError.validationContext ?? 'body'] ?? 'body'
    return validationFailed(fastifyError.validation.slice(0, MAX_ERRORS).map((entry) => ({ pointer: pointerOf(entry), message: messageOf(entry), location })))
  }
  if (isDependencyUnavailable(error)) return serviceUnavailable()
  const status = typeof fastifyError.statusCode === 'number' ? fastifyError.statusCode : 500
  const known = STATUS_PROBLEMS[status]
  if (status >= 400 && status < 500 && known !== undefined) return new HttpProblem({ status, ...known })
  if (status >= 400 && status < 500) return new HttpProblem({ status, slug: 'client-error', title: 'Bad Request', detail: 'The request could not be processed.' })
  return new HttpProblem({ status: 500, slug: 'internal-error', title: 'Internal Server Error', detail: 'Something went wrong on our side; quote the request_id if you report it.' })
}

export function sendProblem (request: FastifyRequest, reply: FastifyReply, problem: HttpProblem): FastifyReply {
  for (const [name, value] of Object.entries(problem.headers)) reply.header(name, value)
  return reply.code(problem.status).type('application/problem+json; charset=utf-8').send({
    type: `${PROBLEM_TYPE_PREFIX}${problem.slug}`,
    title: problem.title,
    status: problem.status,
    detail: problem.detail,
    instance: (request.url.split('?')[0] ?? '/').slice(0, MAX_INSTANCE),
    request_id: request.id,
    ...(problem.errors === undefined ? {} : { errors: problem.errors })
  })
}

/**
 * Node's HTTP parser refuses some requests (headers over the limit, a timeout, bad HTTP) before
 * Fastify sees them; Fastify's default answer is plain JSON. This writes the same RFC 9457
 * document the error handler would, with the headers every response carries (B4, G1, F2).
 */
/** What helmet and the logging plugin would have set, for answers given before any hook runs (G1). */
const BARE_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store'
}

/**
 * Router-level refusals (a URL that does not decode, a path parameter over maxParamLength)
 * skip the error handler; Fastify would answer them with its own JSON, code and echoed path.
 */
export function frameworkErrorHandler (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const problem = error.code === 'FST_ERR_BAD_URL'
    ? new HttpProblem({ status: 400, slug: 'invalid-url', title: 'Bad Request', detail: 'The request URL is not valid.' })
    : toProblem(error)
  reply.headers({ ...BARE_HEADERS, 'x-request-id': request.id })
  sendProblem(request, reply, problem)
}

export function clientErrorHandler (this: FastifyInstance, error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400
  const known = status === 400 ? { slug: 'bad-request', title: 'Bad Request', detail: 'The request is not valid HTTP.' } : STATUS_PROBLEMS[status]
  const requestId = randomUUID()
  const body = JSON.stringify({ type: `${PROBLEM_TYPE_PREFIX}${known?.slug ?? 'bad-request'}`, title: known?.title, status, detail: known?.detail, instance: '/', request_id: requestId })
  this.log.info({ problem: known?.slug, status, code: error.code }, 'client error')
  if (socket.writable) {
    socket.write([
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Bad Request'}`,
      'Content-Type: application/problem+json; charset=utf-8',
      `Content-Length: ${Buffer.byteLength(body)}`,
      `X-Request-Id: ${requestId}`,
      ...Object.entries(BARE_HEADERS).map(([name, value]) => `${name}: ${value}`),
      'Connection: close',
      '',
      body
    ].join('\r\n'))
  }
  socket.destroy(error)
}

/** One error handler and one 404 handler: every non-2xx answer is an RFC 9457 document. */
async function problemDetailsPlugin (fastify: FastifyInstance): Promise<void> {
  fastify.setErrorHandler((error, request, reply) => {
    const problem = toProblem(error)
    if (problem.status >= 500) request.log.error({ err: error }, 'request failed')
    else request.log.info({ problem: problem.slug, status: problem.status }, 'request rejected')
    return sendProblem(request, reply, problem)
  })

  // Unknown routes and methods are rate-limited like everything else (F3).
  fastify.setNotFoundHandler({ preHandler: fastify.rateLimit() }, (request, reply) => sendProblem(request, reply, notFound()))
}

export default fp(problemDetailsPlugin, { name: 'problem-details', fastify: '5.x', dependencies: ['rate-limit'] })
