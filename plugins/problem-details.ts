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

interface ValidationEntry { keyword?: string, instancePath?: string, params?: Record<string, unknown>, message?: string }

/** Bounds on what a problem echoes, as documented in the Problem schema: a client's property names can be any length. */
const MAX_POINTER = 512
const MAX_MESSAGE = 512
const MAX_ERRORS = 50
const MAX_INSTANCE = 2048

function pointerOf (entry: ValidationEntry): string {
  const base = entry.instancePath ?? ''
  const extra = entry.params?.missingProperty ?? entry.params?.additionalProperty ?? entry.params?.unevaluatedProperty
  const pointer = typeof extra === 'string' ? `${base}/${extra.replace(/~/g, '~0').replace(/\//g, '~1')}` : base === '' ? '/' : base
  return pointer.slice(0, MAX_POINTER)
}

const INVALID = 'is invalid'
const NOT_ALLOWED_VALUE = 'is not one of the allowed values'
const BAD_CHARACTERS = 'contains characters that are not allowed'

const TYPE_WORDS: Record<string, string> = {
  string: 'a string', integer: 'an integer', number: 'a number', boolean: 'a boolean', object: 'an object', array: 'an array', null: 'null'
}

/** Keywords whose failures on one pointer are alternatives: they merge into one "must be one of". */
const CHOICE_KEYWORDS = new Set(['const', 'enum', 'anyOf', 'oneOf'])

function typesOf (entry: ValidationEntry): string[] {
  const type = entry.params?.type
  if (Array.isArray(type)) return type.filter((item): item is string => typeof item === 'string')
  return typeof type === 'string' ? type.split(',') : []
}

function typeMessage (types: string[]): string {
  const words = [...new Set(types)].flatMap((type) => TYPE_WORDS[type] ?? [])
  return words.length === 0 ? INVALID : `must be ${words.join(' or ')}`
}

function count (limit: number, one: string, many: string): string {
  return `${limit} ${limit === 1 ? one : many}`
}

function listOf (words: string[]): string {
  return words.length === 1 ? words[0] ?? '' : `${words.slice(0, -1).join(', ')} and ${words.at(-1) ?? ''}`
}

/**
 * Says in words what a single character class allows (`^[A-Za-z0-9._-]+$` -> letters, digits,
 * ".", "_" and "-"); any pattern it cannot describe exactly gets the generic text.
 */
export function describePattern (pattern: unknown): string {
  const match = typeof pattern === 'string' ? /^\^\[([^\]\\^]+)\][+*]\$$/.exec(pattern) : null
  const body = match?.[1]
  if (body === undefined) return BAD_CHARACTERS
  const ranges = new Set<string>()
  const literals: string[] = []
  for (let index = 0; index < body.length; index++) {
    const char = body[index] ?? ''
    if (body[index + 1] === '-' && index + 2 < body.length) {
      ranges.add(`${char}-${body[index + 2] ?? ''}`)
      index += 2
    } else if (/[A-Za-z0-9]/.test(char)) {
      return BAD_CHARACTERS
    } else {
      literals.push(`"${char}"`)
    }
  }
  const hasLetters = ranges.delete('A-Z') && ranges.delete('a-z')
  const hasDigits = ranges.delete('0-9')
  if (ranges.size > 0 || (!hasLetters && (body.includes('A-Z') || body.includes('a-z')))) return BAD_CHARACTERS
  const words = [...(hasLetters ? ['letters'] : []), ...(hasDigits ? ['digits'] : []), ...literals]
  return words.length === 0 ? BAD_CHARACTERS : `may contain only ${listOf(words)}`
}

function limitOf (entry: ValidationEntry): number | undefined {
  const limit = entry.params?.limit
  return typeof limit === 'number' && Number.isFinite(limit) ? limit : undefined
}

/** Our words for one Ajv failure, from its keyword and params only: Ajv's own message never reaches a client (B4). */
function wordsFor (entry: ValidationEntry): string {
  const limit = limitOf(entry)
  const bounded = (words: (limit: number) => string): string => (limit === undefined ? INVALID : words(limit))
  switch (entry.keyword) {
    case 'required':
    case 'dependentRequired':
    case 'dependencies':
      return 'is required'
    case 'additionalProperties':
    case 'unevaluatedProperties':
      return 'is not an allowed property'
    case 'type':
      return typeMessage(typesOf(entry))
    case 'minLength': return bounded((n) => `must be at least ${count(n, 'character', 'characters')} long`)
    case 'maxLength': return bounded((n) => `must be at most ${count(n, 'character', 'characters')} long`)
    case 'minimum': return bounded((n) => `must be at least ${n}`)
    case 'maximum': return bounded((n) => `must be at most ${n}`)
    case 'exclusiveMinimum': return bounded((n) => `must be greater than ${n}`)
    case 'exclusiveMaximum': return bounded((n) => `must be less than ${n}`)
    case 'minItems': return bounded((n) => `must have at least ${count(n, 'item', 'items')}`)
    case 'maxItems': return bounded((n) => `must have at most ${count(n, 'item', 'items')}`)
    case 'minProperties': return bounded((n) => `must have at least ${count(n, 'property', 'properties')}`)
    case 'maxProperties': return bounded((n) => `must have at most ${count(n, 'property', 'properties')}`)
    case 'uniqueItems': return 'must not contain duplicate items'
    case 'pattern': return describePattern(entry.params?.pattern)
    case 'format': {
      const format = entry.params?.format
      return typeof format === 'string' && /^[a-z0-9-]{1,32}$/.test(format) ? `must be a valid ${format}` : INVALID
    }
    default:
      return INVALID
  }
}

function choiceValues (entries: ValidationEntry[]): string[] {
  const values = entries.flatMap((entry) => {
    if (entry.keyword === 'const') return [entry.params?.allowedValue]
    if (entry.keyword === 'enum' && Array.isArray(entry.params?.allowedValues)) return entry.params.allowedValues as unknown[]
    return []
  })
  return [...new Set(values.map((value) => (typeof value === 'string' ? value : JSON.stringify(value) ?? String(value))))]
}

/**
 * One message for all failures on one pointer. Alternatives (a union of literals: const, const,
 * anyOf) become one "must be one of"; otherwise the first failure we have words for wins.
 */
function messageOf (entries: ValidationEntry[]): string {
  if (entries.some((entry) => CHOICE_KEYWORDS.has(entry.keyword ?? ''))) {
    const branches = entries.filter((entry) => entry.keyword !== 'anyOf' && entry.keyword !== 'oneOf')
    const values = choiceValues(branches)
    if (values.length > 0 && branches.every((entry) => entry.keyword === 'const' || entry.keyword === 'enum')) return `must be one of: ${values.join(', ')}`
    if (branches.length > 0 && branches.every((entry) => entry.keyword === 'type')) return typeMessage(branches.flatMap(typesOf))
    return NOT_ALLOWED_VALUE
  }
  for (const entry of entries) {
    const words = wordsFor(entry)
    if (words !== INVALID) return words
  }
  return INVALID
}

/** Exactly one field error per pointer, in the order Ajv first reported each pointer. */
function fieldErrors (validation: ValidationEntry[], location: ProblemFieldError['location']): ProblemFieldError[] {
  const byPointer = new Map<string, ValidationEntry[]>()
  for (const entry of validation) {
    const pointer = pointerOf(entry)
    const group = byPointer.get(pointer)
    if (group !== undefined) group.push(entry)
    else if (byPointer.size < MAX_ERRORS) byPointer.set(pointer, [entry])
  }
  return [...byPointer].map(([pointer, entries]) => ({ pointer, message: messageOf(entries).slice(0, MAX_MESSAGE), location }))
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
    return validationFailed(fieldErrors(fastifyError.validation, location))
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
 * A path parameter over maxParamLength names no resource: 404, as a malformed id is, not 414.
 */
export function frameworkErrorHandler (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const problem = error.code === 'FST_ERR_BAD_URL'
    ? new HttpProblem({ status: 400, slug: 'invalid-url', title: 'Bad Request', detail: 'The request URL is not valid.' })
    : error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? notFound() : toProblem(error)
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
    // A 503 we chose to send (shutting down, busy, a dependency down) is no bug: no stack trace.
    if (problem.status >= 500 && error === problem) request.log.warn({ problem: problem.slug, status: problem.status }, 'request refused')
    else if (problem.status >= 500) request.log.error({ err: error }, 'request failed')
    else request.log.info({ problem: problem.slug, status: problem.status }, 'request rejected')
    return sendProblem(request, reply, problem)
  })

  // Unknown routes and methods are rate-limited like everything else (F3).
  fastify.setNotFoundHandler({ preHandler: fastify.rateLimit() }, (request, reply) => sendProblem(request, reply, notFound()))

  // During shutdown a request on a still-open keep-alive connection gets a problem+json 503 with
  // X-Request-Id (B4), not Fastify's bare return503OnClosing answer; it runs after the logging
  // plugin's onRequest hook, so the id is already set.
  let closing = false
  fastify.addHook('preClose', async () => { closing = true })
  // A callback hook: no promise per request for a flag that is false until shutdown.
  fastify.addHook('onRequest', (_request, _reply, done) => {
    if (closing) done(serviceUnavailable('The server is shutting down; retry on another instance.'))
    else done()
  })
}

export default fp(problemDetailsPlugin, { name: 'problem-details', fastify: '5.x', dependencies: ['rate-limit'] })
