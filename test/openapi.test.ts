import t from 'tap'
import { generateOpenApi } from '../scripts/openapi.js'

interface MediaType { schema?: Record<string, unknown> }
interface Response { description?: string, content?: Record<string, MediaType> }
interface Operation {
  operationId?: string
  tags?: string[]
  summary?: string
  description?: string
  security?: Array<Record<string, string[]>>
  requestBody?: { content?: Record<string, MediaType> }
  responses?: Record<string, Response>
}
interface OpenApiDocument {
  openapi: string
  info: { title: string, version: string }
  tags: Array<{ name: string }>
  paths: Record<string, Record<string, Operation>>
  components: { schemas: Record<string, unknown>, securitySchemes: Record<string, Record<string, unknown>> }
}

/** The contract's operations (api-contract.md), with whether each takes a bearer token. */
const CONTRACT: Array<[string, string, boolean]> = [
  ['post', '/auth/register', false],
  ['post', '/auth/login', false],
  ['post', '/auth/refresh', false],
  ['post', '/auth/logout', true],
  ['post', '/auth/password', true],
  ['get', '/auth/me', true],
  ['get', '/auth/sessions', true],
  ['delete', '/auth/sessions/{id}', true],
  // Ours, beside the contract: the device tokens of I7.
  ['get', '/auth/devices', true],
  ['delete', '/auth/devices/{id}', true],
  // Second wave: second factors and step-up (K1-K5).
  ['post', '/auth/mfa/verify', false],
  ['post', '/auth/mfa/totp', true],
  ['post', '/auth/mfa/totp/{factor_id}/confirm', true],
  ['get', '/auth/mfa/factors', true],
  ['delete', '/auth/mfa/factors/{id}', true],
  ['post', '/auth/mfa/recovery-codes', true],
  ['post', '/auth/reauthenticate', true],
  ['post', '/auth/mfa/webauthn/options', false],
  ['post', '/auth/reauthenticate/webauthn-options', true],
  // Second wave: passkeys (issue 12).
  ['post', '/auth/passkeys/registration/options', true],
  ['post', '/auth/passkeys', true],
  ['get', '/auth/passkeys', true],
  ['patch', '/auth/passkeys/{id}', true],
  ['delete', '/auth/passkeys/{id}', true],
  ['post', '/auth/passkeys/login/options', false],
  ['post', '/auth/passkeys/login', false],
  ['get', '/.well-known/jwks.json', false],
  ['get', '/protected', true],
  ['get', '/rate-limited', false],
  ['get', '/notes', true],
  ['post', '/notes', true],
  ['get', '/notes/{id}', true],
  ['patch', '/notes/{id}', true],
  ['delete', '/notes/{id}', true],
  ['get', '/admin/users', true],
  ['patch', '/admin/users/{id}', true],
  ['delete', '/admin/users/{id}/sessions', true],
  ['get', '/admin/audit-events', true],
  // Email and recovery (issue 13).
  ['post', '/auth/email', true],
  ['post', '/auth/email/verify', false],
  ['post', '/auth/password-reset/request', false],
  ['post', '/auth/password-reset', false],
  ['post', '/admin/users/{id}/password-reset', true],
  ['get', '/health', false],
  ['get', '/health/ready', false]
]

/** Probes are exempt from rate limits and take no input: liveness cannot fail, readiness only with 503. */
const NO_CLIENT_ERRORS = new Set(['getHealth', 'getReadiness'])

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'])

function operations (document: OpenApiDocument): Array<[string, string, Operation]> {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item).filter(([method]) => HTTP_METHODS.has(method)).map(([method, operation]): [string, string, Operation] => [method, path, operation]))
}

function refsIn (value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) refsIn(item, found)
  else if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      if (key === '$ref' && typeof inner === 'string') found.push(inner)
      else refsIn(inner, found)
    }
  }
  return found
}

/** RFC 6901: the value a JSON pointer names inside the document, or undefined. */
function resolvePointer (root: unknown, pointer: string): unknown {
  let current: unknown = root
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    if (current === null || typeof current !== 'object' || !(key in current)) return undefined
    current = (current as Record<string, unknown>)[key]
  }
  return current
}

t.test('the generated OpenAPI document describes the contract', async (t) => {
  const document = JSON.parse(await generateOpenApi()) as OpenApiDocument

  t.test('OpenAPI 3.1 with info, tags and the bearer scheme', async (t) => {
    t.equal(document.openapi, '3.1.0')
    t.type(document.info.title, 'string')
    t.type(document.info.version, 'string')
    t.match(document.components.securitySchemes.bearerAuth, { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    for (const name of ['User', 'AdminUser', 'TokenResponse', 'Problem', 'Credentials', 'Session', 'Note', 'Jwks']) {
      t.ok(name in document.components.schemas, `component ${name}`)
    }
    t.notOk(Object.keys(document.components.schemas).some((name) => name.startsWith('def-')), 'every component has a real name')
  })

  t.test('every operation of the contract is present, with the right security', async (t) => {
    for (const [method, path, bearer] of CONTRACT) {
      const operation = document.paths[path]?.[method]
      t.ok(operation, `${method.toUpperCase()} ${path} is documented`)
      if (operation === undefined) continue
      // OpenAPI 3.1 lets a bearer requirement name roles (e.g. ['admin']); the scheme is what matters.
      if (bearer) t.same((operation.security ?? []).map((requirement) => Object.keys(requirement)), [['bearerAuth']], `${method.toUpperCase()} ${path} takes a bearer token`)
      else t.same(operation.security, [], `${method.toUpperCase()} ${path} is public`)
    }
    const documented = operations(document).map(([method, path]) => `${method} ${path}`).sort()
    t.same(documented, CONTRACT.map(([method, path]) => `${method} ${path}`).sort(), 'nothing more, nothing less')
  })

  t.test('every operation has an id, a tag, a summary, a description and documented problems', async (t) => {
    const declaredTags = new Set(document.tags.map((tag) => tag.name))
    const ids = new Set<string>()
    for (const [method, path, operation] of operations(document)) {
      const label = `${method.toUpperCase()} ${path}`
      t.match(operation.operationId, /^[a-z][A-Za-z]+$/, `${label}: operationId`)
      t.notOk(ids.has(String(operation.operationId)), `${label}: operationId unique`)
      ids.add(String(operation.operationId))
      t.ok((operation.tags ?? []).length > 0 && (operation.tags ?? []).every((tag) => declaredTags.has(tag)), `${label}: declared tag`)
      t.ok((operation.summary ?? '').length > 0, `${label}: summary`)
      t.ok((operation.description ?? '').length > 0, `${label}: description`)
      t.ok(Array.isArray(operation.security), `${label}: security declared`)
      const responses = operation.responses ?? {}
      t.ok(Object.keys(responses).some((status) => /^2\d\d$/.test(status)), `${label}: a success response`)
      const errors = Object.entries(responses).filter(([status]) => /^[45]\d\d$/.test(status))
      if (!NO_CLIENT_ERRORS.has(String(operation.operationId))) {
        t.ok(errors.some(([status]) => status.startsWith('4')), `${label}: a 4xx problem`)
      }
      if (operation.operationId === 'getReadiness') t.ok('503' in responses, `${label}: 503 documented`)
      for (const [status, response] of errors) {
        t.same(Object.keys(response.content ?? {}), ['application/problem+json'], `${label} ${status}: problem+json only`)
        t.same(response.content?.['application/problem+json']?.schema, { $ref: '#/components/schemas/Problem' }, `${label} ${status}: the Problem schema`)
      }
      if ((operation.security ?? []).length > 0) t.ok('401' in responses, `${label}: 401 documented`)
      if (operation.requestBody !== undefined) {
        t.ok('application/json' in (operation.requestBody.content ?? {}), `${label}: JSON body`)
        t.ok('400' in responses && '413' in responses && '415' in responses, `${label}: 400, 413 and 415 documented`)
      }
    }
  })

  t.test('/metrics and /docs are left out; every $ref resolves', async (t) => {
    t.notOk(Object.keys(document.paths).some((path) => path.startsWith('/metrics')), 'no /metrics')
    t.notOk(Object.keys(document.paths).some((path) => path.startsWith('/docs')), 'no /docs')
    for (const ref of new Set(refsIn(document))) {
      t.ok(ref.startsWith('#/') && resolvePointer(document, ref.slice(1)) !== undefined, `${ref} resolves`)
    }
  })

  t.test('schemas do not leak internals and bodies refuse unknown properties', async (t) => {
    const text = JSON.stringify(document)
    t.notMatch(text, /password_hash|username_normalized|email_normalized|token_hash|private_key/, 'no internal column is documented')
    const credentials = document.components.schemas.Credentials as { additionalProperties?: boolean }
    t.equal(credentials.additionalProperties, false)
    const user = document.components.schemas.User as { properties: Record<string, unknown> }
    // email and email_verified: the contract's second wave (issue 13).
    t.same(Object.keys(user.properties).sort(), ['created_at', 'email', 'email_verified', 'id', 'roles', 'username'])
  })
})
