import { randomUUID } from 'node:crypto'
import { Ajv, type ValidateFunction } from 'ajv'
import addFormats from 'ajv-formats'
import fc from 'fast-check'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { SERVER_LIMITS } from '../../src/build-app.js'
import { updateUser } from '../../src/repositories/users.js'
import { buildTestApp, json } from '../helpers/app.js'
import { registerUser, STRONG_PASSWORD, type Tokens } from '../helpers/users.js'

/**
 * Property-based fuzzing of EVERY operation in the generated OpenAPI document: hostile paths,
 * queries, headers and bodies. Invariants: never 5xx; every error is problem+json with the
 * HTTP status in the body; every 2xx JSON body matches the documented schema; /health stays up.
 * Replay a failure with FUZZ_SEED=<seed> (and FUZZ_RUNS to go deeper).
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261129)
const RUNS_PER_OPERATION = Number(process.env.FUZZ_RUNS ?? 200)
const TIME_LIMIT_PER_OPERATION_MS = 2500

type Schema = Record<string, unknown>
interface Parameter { name: string, in: 'path' | 'query' | 'header', schema?: Schema }
interface Operation {
  parameters?: Parameter[]
  requestBody?: { content?: Record<string, { schema?: Schema }> }
  responses?: Record<string, { content?: Record<string, { schema?: Schema }>, headers?: Record<string, unknown> }>
  security?: Array<Record<string, string[]>>
}
interface Document { paths: Record<string, Record<string, Operation>>, components: { schemas: Record<string, Schema> } }

// ---------- generators ----------

const hostileStrings = fc.constantFrom(
  '', ' ', 'null', 'undefined', 'true', '0', '-1', '1e309', '-0', 'NaN', '9'.repeat(400), '0x10', '1.5',
  '../../etc/passwd', '..%2f..%2fetc%2fpasswd', '%00', '\u0000', '\ud800', '😀'.repeat(50), "' OR 1=1--", '$(id)', '<script>alert(1)</script>',
  '__proto__', 'constructor', 'prototype', '{"$gt":""}', 'a'.repeat(10_000), '\r\nX-Injected: 1', randomUUID()
)
const scalar: fc.Arbitrary<unknown> = fc.oneof(
  hostileStrings, fc.string({ maxLength: 300 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null),
  fc.constantFrom(Number.MAX_SAFE_INTEGER + 2, -Number.MAX_VALUE, 1e308, 2 ** 64)
)
const anyJson: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, fc.array(tie('value'), { maxLength: 5 }), fc.dictionary(fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('__proto__', 'constructor', 'prototype', 'id', 'roles', 'owner', 'user_id', 'created_at', 'password_hash')), tie('value'), { maxKeys: 5 }))
})).value

/** Percent-encodes for a URL; a lone surrogate becomes its raw (invalid) UTF-8 bytes, itself a hostile value. */
function encode (value: string): string {
  try {
    return encodeURIComponent(value)
  } catch {
    return '%ED%A0%80'
  }
}

function deepNesting (depth: number, open: string, close: string): string {
  return `${open.repeat(depth)}1${close.repeat(depth)}`
}

/** Raw bodies that JSON.stringify cannot produce. */
const rawBodies = fc.constantFrom(
  '', '{', 'null', '[]', '"x"', '1e999', '-1e999', '{"a":1}{"a":2}', '\uFEFF{}', '{"__proto__":{"admin":true}}',
  '{"constructor":{"prototype":{"admin":true}}}', '{"title":"x","title":"y"}', deepNesting(5000, '[', ']'), deepNesting(2000, '{"a":', '}'),
  JSON.stringify({ x: 'y'.repeat(70_000) }), 'title=x&body=y', '<xml/>', '\u0000\u0001\u0002',
  // Echo amplification: a huge property name, and hundreds of validation errors at once.
  JSON.stringify({ ['k'.repeat(20_000)]: 1 }), JSON.stringify(Object.fromEntries(Array.from({ length: 300 }, (_, index) => [`extra${index}`, index])))
)

/** Values shaped by the operation's declared body schema, most of them valid, some not. */
function bodyFromSchema (schema: Schema | undefined, components: Record<string, Schema>, known: string[], depth = 0): fc.Arbitrary<unknown> {
  if (schema === undefined || depth > 4) return anyJson
  const ref = schema.$ref
  if (typeof ref === 'string') return bodyFromSchema(components[ref.replace('#/components/schemas/', '')], components, known, depth + 1)
  const anyOf = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined
  if (Array.isArray(anyOf)) return fc.oneof(...anyOf.map((member) => bodyFromSchema(member, components, known, depth + 1)))
  if (schema.const !== undefined) return fc.constant(schema.const)
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]))
  switch (schema.type) {
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, Schema>
      const shape = Object.fromEntries(Object.entries(properties).map(([key, value]) => {
        const valid = bodyFromSchema(value, components, known, depth + 1)
        return [key, fc.oneof({ weight: 4, arbitrary: valid }, { weight: 1, arbitrary: scalar })]
      }))
      return fc.record(shape, { requiredKeys: (schema.required ?? []) as string[] })
    }
    case 'array': return fc.array(bodyFromSchema(schema.items as Schema | undefined, components, known, depth + 1), { maxLength: 4 })
    case 'string': {
      const minLength = typeof schema.minLength === 'number' ? schema.minLength : 0
      const maxLength = typeof schema.maxLength === 'number' ? Math.min(schema.maxLength, 300) : 80
      if (schema.format === 'uuid') return fc.uuid()
      // Known values (a real username, the strong password, a live refresh token) reach success paths.
      return fc.oneof(fc.string({ minLength, maxLength: Math.max(minLength, maxLength) }), fc.constantFrom(...known), fc.stringMatching(/^[a-z0-9._-]{3,20}$/))
    }
    case 'integer': return fc.integer({ min: -10, max: 200 })
    case 'number': return fc.double()
    case 'boolean': return fc.boolean()
    default: return anyJson
  }
}

// Mostly JSON, so hostile bodies get past the content-type check and reach validation and handlers.
const contentTypes = fc.oneof({ weight: 3, arbitrary: fc.constant<string | undefined>('application/json') }, {
  weight: 2,
  arbitrary: fc.constantFrom<string | undefined>(
    'application/json; charset=utf-8', 'APPLICATION/JSON', 'application/json; charset=latin1', 'application/json;', 'application/problem+json',
    'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', '', 'application/json, text/plain', undefined
  )
})

// ---------- invariants ----------

/** Ajv validators for documented responses: undefined when the status is not documented, null when it has no JSON body. */
function compileResponseValidators (document: Document): (path: string, method: string, status: number, media?: string) => ValidateFunction | undefined | null {
  const ajv = new Ajv({ strict: false, allErrors: true })
  addFormats.default(ajv)
  ajv.addSchema({ $id: 'openapi.json', components: document.components })
  const cache = new Map<string, ValidateFunction | null>()
  return (path, method, status, media = 'application/json') => {
    const key = `${method} ${path} ${status} ${media}`
    if (cache.has(key)) return cache.get(key)
    // media 'Problem' asks for the Problem component itself, whatever the operation documents.
    const response = media === 'Problem' ? { content: { Problem: { schema: { $ref: '#/components/schemas/Problem' } } } } : document.paths[path]?.[method]?.responses?.[String(status)]
    if (response === undefined) return undefined
    const schema = response.content?.[media]?.schema
    const validate = schema === undefined ? null : ajv.compile(JSON.parse(JSON.stringify(schema).replace(/"#\/components\//g, '"openapi.json#/components/')) as Schema)
    cache.set(key, validate)
    return validate
  }
}

interface Context {
  document: Document
  validator: ReturnType<typeof compileResponseValidators>
  undocumented: Set<string>
  /** How often each operation answered each status, to show the fuzzer reaches success paths too. */
  statuses: Map<string, Map<number, number>>
}

function check (context: Context, path: string, method: string, request: InjectOptions, response: LightMyRequestResponse): void {
  const where = `${method.toUpperCase()} ${path} -> ${response.statusCode}`
  const seen = context.statuses.get(`${method.toUpperCase()} ${path}`) ?? new Map<number, number>()
  seen.set(response.statusCode, (seen.get(response.statusCode) ?? 0) + 1)
  context.statuses.set(`${method.toUpperCase()} ${path}`, seen)
  if (response.statusCode >= 500) throw new Error(`${where}: a 5xx: ${response.body.slice(0, 300)}`)
  if (context.document.paths[path]?.[method]?.responses?.[String(response.statusCode)] === undefined) context.undocumented.add(`${method.toUpperCase()} ${path} ${response.statusCode}`)
  // Every header the document promises on this response (RateLimit-*, Retry-After, Location) is sent;
  // except on the router's own refusals (an undecodable URL, a path parameter over maxParamLength
  // answered 404), which never reach the route or its limiter.
  const overLongParam = typeof request.url === 'string' && request.url.split('/').some((segment) => segment.length > SERVER_LIMITS.maxParamLength)
  const routerRefusal = (response.statusCode === 400 && response.body.includes('"urn:secure-api:problem:invalid-url"')) || (response.statusCode === 404 && overLongParam)
  for (const name of routerRefusal ? [] : Object.keys(context.document.paths[path]?.[method]?.responses?.[String(response.statusCode)]?.headers ?? {})) {
    if (response.headers[name.toLowerCase()] === undefined) throw new Error(`${where}: the documented ${name} header is missing`)
  }
  const type = String(response.headers['content-type'] ?? '')
  if (response.statusCode >= 400) {
    if (!type.startsWith('application/problem+json')) throw new Error(`${where}: an error that is not problem+json (${type}): ${response.body.slice(0, 300)}`)
    const body = json(response)
    if (body.status !== response.statusCode) throw new Error(`${where}: problem status ${String(body.status)}`)
    // The documented error schema (or the Problem component for an undocumented status) holds too.
    const validateProblem = context.validator(path, method, response.statusCode, 'application/problem+json') ?? context.validator('*', '*', response.statusCode, 'Problem')
    if (validateProblem !== null && validateProblem !== undefined && validateProblem(body) !== true) {
      throw new Error(`${where}: the problem does not match its schema: ${JSON.stringify(validateProblem.errors).slice(0, 400)}`)
    }
    if (/fast[-_]?jwt|FST_ERR|node_modules|\bat [\w.<>]+ \(|SQLITE|syntax error|stack/i.test(response.body)) throw new Error(`${where}: library or code text: ${response.body.slice(0, 300)}`)
    return
  }
  if (response.statusCode >= 300) throw new Error(`${where}: an unexpected redirect`)
  if (response.statusCode === 204) {
    if (response.body !== '') throw new Error(`${where}: a 204 with a body`)
    return
  }
  if (!type.startsWith('application/json')) throw new Error(`${where}: a 2xx that is not JSON (${type})`)
  const validate = context.validator(path, method, response.statusCode)
  if (validate === undefined) throw new Error(`${where}: an undocumented success status`)
  if (validate !== null && validate(json(response)) !== true) {
    throw new Error(`${where}: the body does not match its schema: ${JSON.stringify(validate.errors).slice(0, 400)}; request ${JSON.stringify(request).slice(0, 300)}`)
  }
}

// ---------- the test ----------

async function loginFrom (app: FastifyInstance, username: string): Promise<Tokens> {
  // Another address than the fuzzer's, so the login throttle it trips never locks the harness out.
  const response = await app.inject({ method: 'POST', url: '/auth/login', payload: { username, password: STRONG_PASSWORD }, remoteAddress: '10.9.8.7' })
  if (response.statusCode !== 200) throw new Error(`harness login failed: ${response.statusCode} ${response.body}`)
  return json<Tokens>(response)
}

t.test('fuzz: every operation of the OpenAPI document keeps its invariants', async (t) => {
  const started = Date.now()
  t.comment(`fast-check seed ${SEED}, ${RUNS_PER_OPERATION} runs per operation (replay: FUZZ_SEED=${SEED})`)
  const { app } = await buildTestApp(t)
  await app.ready()
  const document = app.swagger() as unknown as Document
  const context: Context = { document, validator: compileResponseValidators(document), undocumented: new Set(), statuses: new Map() }

  // The invariants can fail: a 5xx, a non-problem error and a body off its schema are all caught.
  // Every other header the document promises is present, so each probe trips only its own invariant.
  const limits = { 'x-request-id': 'probe', 'www-authenticate': 'Bearer realm="probe"', 'ratelimit-limit': '1', 'ratelimit-remaining': '1', 'ratelimit-reset': '1' }
  const fake = (statusCode: number, contentType: string, body: string, headers: Record<string, string> = limits): LightMyRequestResponse => ({ statusCode, headers: { ...headers, 'content-type': contentType }, body } as unknown as LightMyRequestResponse)
  const probe: Context = { ...context, undocumented: new Set(), statuses: new Map() }
  t.throws(() => { check(probe, '/health/', 'get', {}, fake(500, 'application/problem+json', '{"status":500}')) }, /a 5xx/, 'the 5xx invariant can fail')
  t.throws(() => { check(probe, '/protected', 'get', {}, fake(401, 'application/json', '{"status":401}')) }, /not problem\+json/, 'the problem+json invariant can fail')
  t.throws(() => { check(probe, '/protected', 'get', {}, fake(200, 'application/json', '{"message":"hi"}')) }, /does not match its schema/, 'the schema invariant can fail')
  t.throws(() => { check(probe, '/protected', 'get', {}, fake(401, 'application/problem+json', '{"status":401,"type":"x"}')) }, /problem does not match/, 'the problem schema invariant can fail')
  t.throws(() => { check(probe, '/protected', 'get', {}, fake(200, 'application/json', '{}', { 'x-request-id': 'probe' })) }, /documented RateLimit-Limit header is missing/, 'the documented-headers invariant can fail')

  let member = await registerUser(app)
  let admin = await registerUser(app)
  await updateUser(app.db, admin.id, { roles: ['user', 'admin'] })
  const victim = await registerUser(app)
  const victimTokens = await loginFrom(app, victim.username)
  const known = [victim.username, STRONG_PASSWORD, victimTokens.refresh_token]
  const tokens = { member: await loginFrom(app, member.username), admin: await loginFrom(app, admin.username) }
  /** A note of the member's, so note operations can reach their success paths. */
  const freshNote = async (): Promise<string> => {
    const note = await app.inject({ method: 'POST', url: '/notes', headers: { authorization: `Bearer ${tokens.member.access_token}` }, payload: { title: 'fuzz', body: 'target' } })
    return note.statusCode === 201 ? json<{ id: string }>(note).id : randomUUID()
  }
  let noteId = await freshNote()

  const operations = Object.entries(document.paths).flatMap(([path, item]) => Object.entries(item).map(([method, operation]) => ({ path, method, operation })))
  // Operations that end sessions run last, so the others keep a working token for longer.
  const ending = /logout|password|sessions/
  operations.sort((a, b) => Number(ending.test(a.path)) - Number(ending.test(b.path)))
  t.ok(operations.length >= 15, `${operations.length} operations in the document`)

  let cases = 0
  for (const { path, method, operation } of operations) {
    const parameters = operation.parameters ?? []
    const pathValue = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(noteId, victim.id, randomUUID(), '00000000-0000-0000-0000-000000000000') }, hostileStrings.map(encode), fc.string({ maxLength: 40 }).map(encode))
    const queryNames = parameters.filter((parameter) => parameter.in === 'query').map((parameter) => parameter.name)
    const query = fc.dictionary(fc.oneof(fc.constantFrom(...queryNames, 'access_token', '__proto__', 'constructor', 'limit[]'), fc.string({ maxLength: 10 })), fc.oneof(hostileStrings, fc.integer({ min: -5, max: 500 }).map(String), fc.array(hostileStrings, { maxLength: 3 })), { maxKeys: 4 })
    const bodySchema = operation.requestBody?.content?.['application/json']?.schema
    const body = fc.oneof(
      { weight: 4, arbitrary: bodyFromSchema(bodySchema, document.components.schemas, known).map((value) => ({ raw: JSON.stringify(value) ?? 'null' })) },
      { weight: 2, arbitrary: anyJson.map((value) => ({ raw: JSON.stringify(value) ?? 'null' })) },
      { weight: 2, arbitrary: rawBodies.map((raw) => ({ raw })) },
      { weight: 1, arbitrary: fc.constant(undefined) }
    )
    const auth = fc.constantFrom<'member' | 'admin' | 'none' | 'garbage' | 'basic'>('member', 'member', 'admin', 'admin', 'none', 'garbage', 'basic')
    const extraHeaders = fc.record({
      accept: fc.constantFrom('application/json', 'text/html', '*/*', 'application/xml', ''),
      // eslint-disable-next-line no-control-regex -- NUL is exactly what must be kept out of a header
      'x-request-id': fc.oneof(fc.uuid(), hostileStrings.filter((value) => !/[\r\n\u0000]/.test(value) && !/[^\u0020-\u007e]/.test(value)))
    }, { requiredKeys: [] })

    await fc.assert(fc.asyncProperty(pathValue, query, body, contentTypes, auth, extraHeaders, async (pathParam, queryValues, payload, contentType, who, headers) => {
      cases++
      const url = path.replace(/\{[^}]+\}/g, pathParam)
      const requestHeaders: Record<string, string> = { ...headers }
      if (who === 'member' || who === 'admin') requestHeaders.authorization = `Bearer ${tokens[who].access_token}`
      if (who === 'garbage') requestHeaders.authorization = 'Bearer x.y.z'
      if (who === 'basic') requestHeaders.authorization = 'Basic Zm9vOmJhcg=='
      if (payload !== undefined && contentType !== undefined) requestHeaders['content-type'] = contentType
      const request: InjectOptions = {
        method: method.toUpperCase(),
        url,
        query: queryValues,
        headers: requestHeaders,
        ...(payload === undefined ? {} : { payload: payload.raw })
      }
      const response = await app.inject(request)
      check(context, path, method, request, response)
    }), { seed: SEED, numRuns: RUNS_PER_OPERATION, interruptAfterTimeLimit: TIME_LIMIT_PER_OPERATION_MS, markInterruptAsFailure: false, endOnFailure: true })

    const health = await app.inject({ method: 'GET', url: '/health' })
    t.equal(health.statusCode, 200, `/health is 200 after fuzzing ${method.toUpperCase()} ${path}`)
    // The fuzzer may have ended the harness sessions or changed a password (it knows the
    // strong one): start fresh sessions, or fresh accounts when the old ones are lost.
    tokens.member = await loginFrom(app, member.username).catch(async () => await loginFrom(app, (member = await registerUser(app)).username))
    tokens.admin = await loginFrom(app, admin.username).catch(async () => {
      admin = await registerUser(app)
      await updateUser(app.db, admin.id, { roles: ['user', 'admin'] })
      return await loginFrom(app, admin.username)
    })
    noteId = await freshNote()
  }

  t.pass(`${cases} fuzz cases over ${operations.length} operations, no invariant broken`)
  const successes = [...context.statuses.entries()].filter(([, seen]) => [...seen.keys()].some((status) => status < 300))
  t.comment(`statuses per operation:\n  ${[...context.statuses.entries()].map(([operation, seen]) => `${operation}: ${[...seen.entries()].sort((a, b) => a[0] - b[0]).map(([status, count]) => `${status}x${count}`).join(' ')}`).join('\n  ')}`)
  t.ok(successes.length >= operations.length / 2, `${successes.length} of ${operations.length} operations reached a 2xx whose body was checked against its schema`)
  if (context.undocumented.size > 0) t.comment(`statuses answered but not documented:\n  ${[...context.undocumented].sort().join('\n  ')}`)
  t.comment(`fuzzing took ${((Date.now() - started) / 1000).toFixed(1)} s`)
  // A bound against a runaway (an operation that hangs), not a speed test: the tap file limit is 180 s.
  t.ok(Date.now() - started < 150_000, 'the fuzz run stays under 150 s')
})
