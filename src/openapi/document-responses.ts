import { problemBody, problemExamples, type ExampleContext } from './problem-examples.js'

/**
 * What the route schemas cannot say, added to the generated document in one place so every
 * operation (the auth plugin's 401/403 included) gets it:
 *  - an example of each problem response's own status and kind, with the headers it carries;
 *  - the headers always sent: X-Request-Id on every answer, WWW-Authenticate on 401 and on the
 *    403 of role-guarded operations, Cache-Control: no-store on token answers (RFC 6749 §5.1);
 *  - 400, 413 and 415 on operations that take no body: the server still parses a body that is
 *    sent (bad JSON 400, too large 413, not JSON 415), so those answers are real.
 */
export const ALWAYS_SENT_HEADERS = {
  'X-Request-Id': {
    description: 'The request id: the caller\'s X-Request-Id when it is 1–128 of A-Z a-z 0-9 . _ : -, otherwise a new UUID. Quote it when reporting a problem.',
    required: true,
    schema: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._:-]{1,128}$' }
  },
  'WWW-Authenticate': {
    description: 'The RFC 6750 challenge: `Bearer realm="secure-api"`, plus `error="invalid_token"` when a token was refused (refresh and retry) or `error="insufficient_scope"` when a role is missing.',
    required: true,
    schema: { type: 'string', maxLength: 512, pattern: '^Bearer realm="[^"]*"' }
  },
  'Cache-Control-No-Store': {
    description: 'Responses with tokens are never stored by caches (RFC 6749 §5.1).',
    required: true,
    schema: { type: 'string', const: 'no-store' }
  }
} as const

interface MediaType { schema?: { $ref?: string, oneOf?: Array<{ $ref?: string }> }, examples?: Record<string, unknown> }
interface Response { description?: string, content?: Record<string, MediaType>, headers?: Record<string, unknown> }
interface Parameter { in?: string, name?: string }
/** Every generated operation has an operationId and a security list (test/openapi.test.ts). */
interface Operation {
  operationId: string
  security: Array<Record<string, string[]>>
  parameters?: Parameter[]
  requestBody?: { content?: Record<string, MediaType> }
  responses?: Record<string, Response>
  /** Set by the auth plugin on operations with an RFC 9470 step-up requirement. */
  'x-step-up'?: { max_age?: number, acr_values?: string }
}
interface Schema { required?: string[], properties?: Record<string, unknown> }
export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>
  components?: { schemas?: Record<string, Schema>, headers?: Record<string, unknown> }
}

const PROBLEM_JSON = 'application/problem+json'
const PROBLEM_REF = '#/components/schemas/Problem'
/** Answers that carry tokens or secrets: never stored by a cache (Cache-Control: no-store). */
const SECRET_SCHEMAS = new Set(['TokenResponse', 'MfaChallenge', 'TotpEnrolment', 'RecoveryCodes'].map((name) => `#/components/schemas/${name}`))

function carriesSecrets (response: Response): boolean {
  const schema = response.content?.['application/json']?.schema
  if (schema === undefined) return false
  const refs = [schema.$ref, ...(schema.oneOf ?? []).map((branch) => branch.$ref)]
  return refs.some((ref) => ref !== undefined && SECRET_SCHEMAS.has(ref))
}
const EXAMPLE_ID = '0b7f3c52-8f2e-4d8a-9a51-2c6f4e1d7b90'
/** Methods whose bodies Fastify parses even when the operation declares none. */
const BODY_METHODS = new Set(['post', 'put', 'patch', 'delete'])
const BODILESS_PROBLEMS: Record<string, string> = {
  400: 'A body was sent (this operation takes none) and it is not valid JSON',
  413: 'A body was sent (this operation takes none) and it is larger than allowed',
  415: 'A body was sent (this operation takes none) and it is not JSON'
}

const headerRef = (name: string): { $ref: string } => ({ $ref: `#/components/headers/${name}` })

function invalidTarget (document: OpenApiDocument, operation: Operation): ExampleContext['invalid'] {
  const ref = operation.requestBody?.content?.['application/json']?.schema?.$ref
  const schema = ref === undefined ? undefined : document.components?.schemas?.[ref.replace('#/components/schemas/', '')]
  const property = schema?.required?.[0] ?? Object.keys(schema?.properties ?? {})[0]
  if (property !== undefined) return { pointer: `/${property}`, location: 'body' }
  const query = operation.parameters?.find((parameter) => parameter.in === 'query')?.name
  return query === undefined ? undefined : { pointer: `/${query}`, location: 'query' }
}

function contextOf (document: OpenApiDocument, path: string, operation: Operation): ExampleContext {
  const requirements = operation.security
  const invalid = invalidTarget(document, operation)
  return {
    operationId: operation.operationId,
    instance: path.replace(/\{[^}]+\}/g, EXAMPLE_ID),
    bearer: requirements.some((requirement) => 'bearerAuth' in requirement),
    admin: requirements.some((requirement) => requirement.bearerAuth?.includes('admin') === true),
    hasBody: operation.requestBody !== undefined,
    ...(operation['x-step-up'] === undefined ? {} : { stepUp: operation['x-step-up'] }),
    ...(invalid === undefined ? {} : { invalid })
  }
}

/** The problem+json media type of a problem response, or undefined for any other response. */
function problemMedia (response: Response): MediaType | undefined {
  const media = response.content?.[PROBLEM_JSON]
  return media?.schema?.$ref === PROBLEM_REF ? media : undefined
}

function documentProblem (response: Response, media: MediaType, status: number, context: ExampleContext): void {
  const examples = problemExamples(status, context)
  media.examples = Object.fromEntries(examples.map(({ summary, problem }) => [problem.slug, { summary, value: problemBody(problem, context) }]))
  const challenge = examples.map(({ problem }) => problem.headers['www-authenticate']).find((value) => value !== undefined)
  if (challenge !== undefined) response.headers = { ...response.headers, 'WWW-Authenticate': headerRef('WWW-Authenticate') }
}

export function documentResponses (document: OpenApiDocument): OpenApiDocument {
  document.components ??= {}
  document.components.headers = { ...document.components.headers, ...ALWAYS_SENT_HEADERS }
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      const responses = operation.responses ??= {}
      if (BODY_METHODS.has(method) && operation.requestBody === undefined) {
        for (const [status, description] of Object.entries(BODILESS_PROBLEMS)) {
          responses[status] ??= { description, content: { [PROBLEM_JSON]: { schema: { $ref: PROBLEM_REF } } } }
        }
      }
      const context = contextOf(document, path, operation)
      for (const [status, response] of Object.entries(responses)) {
        const media = problemMedia(response)
        if (media !== undefined) documentProblem(response, media, Number(status), context)
        if (carriesSecrets(response)) {
          response.headers = { ...response.headers, 'Cache-Control': headerRef('Cache-Control-No-Store') }
        }
        response.headers = { 'X-Request-Id': headerRef('X-Request-Id'), ...response.headers }
      }
      // Keep the responses in status order: added problems would otherwise trail the rest.
      operation.responses = Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b)))
    }
  }
  return document
}
