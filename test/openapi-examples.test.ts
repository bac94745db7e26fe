import t from 'tap'
import { loadCommittedDocument, operationsOf, ResponseValidator } from './contract/openapi-validator.js'

/**
 * Issue 14: Swagger UI showed a 400 validation error as the example of every error response.
 * Each documented problem response must carry examples of its own status (and kind), valid
 * Problem documents, with the headers that status always carries documented.
 */
interface Example { summary?: string, value?: { status?: unknown, type?: unknown } }

const document = loadCommittedDocument()
const validator = new ResponseValidator(document)
const validProblem = validator.validatorFor({ $ref: '#/components/schemas/Problem' })

/** The problem types each status may show: a 401 is never a validation error. */
const KINDS: Record<number, RegExp> = {
  400: /:(validation-error|bad-request|second-factor-required|invalid-reset-token|invalid-verification-token)$/,
  401: /:(invalid-token|unauthorized|invalid-credentials|invalid-refresh-token|insufficient-user-authentication|invalid-second-factor|passkey-refused)$/,
  403: /:(insufficient-scope|registration-closed|quota-exceeded|recovery-disabled)$/,
  404: /:not-found$/,
  409: /:(username-taken|cannot-demote-self|conflict|too-many-factors|no-second-factor|passkey-exists|email-taken)$/,
  413: /:payload-too-large$/,
  415: /:unsupported-media-type$/,
  429: /:rate-limited$/,
  503: /:service-unavailable$/
}

t.test('every documented problem response has examples of its own status and kind, valid against Problem', async (t) => {
  let checked = 0
  for (const { operationId, operation, operation: { responses = {} } } of operationsOf(document)) {
    const bearer = JSON.stringify((operation as { security?: unknown }).security ?? []).includes('bearerAuth')
    // Only admin operations refuse a role with 403; others use 403 for their own reasons (a quota).
    const admin = JSON.stringify((operation as { security?: unknown }).security ?? []).includes('"admin"')
    for (const [status, response] of Object.entries(responses)) {
      if (!/^[45]/.test(status)) continue
      const label = `${operationId} ${status}`
      const media = (response.content?.['application/problem+json'] ?? {}) as { examples?: Record<string, Example> }
      const examples = Object.values(media.examples ?? {})
      t.ok(examples.length > 0, `${label}: has examples`)
      for (const example of examples) {
        checked++
        t.equal(example.value?.status, Number(status), `${label} "${example.summary}": status ${status}`)
        t.match(example.value?.type, KINDS[Number(status)] ?? /./, `${label} "${example.summary}": a ${status} kind of problem`)
        t.ok(validProblem(example.value), `${label} "${example.summary}": a valid Problem`, { errors: validProblem.errors })
      }
      const headers = Object.keys(response.headers ?? {})
      t.ok(headers.includes('X-Request-Id'), `${label}: X-Request-Id documented`)
      if (status === '401') t.ok(headers.includes('WWW-Authenticate'), `${label}: WWW-Authenticate documented`)
      if (status === '429' || status === '503') t.ok(headers.includes('Retry-After'), `${label}: Retry-After documented`)
      if (status === '401' && bearer) {
        t.ok(examples.some((example) => String(example.value?.type).endsWith(':invalid-token')), `${label}: the invalid_token example a client refreshes on`)
      }
      if (status === '403' && admin) {
        t.ok(headers.includes('WWW-Authenticate'), `${label}: WWW-Authenticate documented`)
        t.ok(examples.some((example) => String(example.value?.type).endsWith(':insufficient-scope')), `${label}: insufficient_scope`)
      }
    }
  }
  t.ok(checked > 100, `${checked} examples checked`)
})

t.test('the always-sent headers are documented: X-Request-Id everywhere, Cache-Control: no-store on tokens', async (t) => {
  const components = document.components.headers ?? {}
  t.match(components['WWW-Authenticate'], { required: true, schema: { type: 'string' } })
  t.match(components['Cache-Control-No-Store'], { required: true, schema: { const: 'no-store' } })
  for (const { operationId, operation: { responses = {} } } of operationsOf(document)) {
    for (const [status, response] of Object.entries(responses)) {
      t.ok('X-Request-Id' in (response.headers ?? {}), `${operationId} ${status}: X-Request-Id`)
      const schema = response.content?.['application/json']?.schema
      if ([schema?.$ref, ...(schema?.oneOf ?? []).map((branch) => branch.$ref)].includes('#/components/schemas/TokenResponse')) {
        t.same(response.headers?.['Cache-Control'], { $ref: '#/components/headers/Cache-Control-No-Store' }, `${operationId} ${status}: Cache-Control: no-store`)
      }
    }
  }
  t.same(['login', 'refreshTokens'].map((id) => operationsOf(document).find((op) => op.operationId === id)?.operation.responses?.['200']?.headers?.['Cache-Control'] !== undefined), [true, true], 'both token answers')
})

t.test('malformed ids answer 404, so the operations that take no body do not document a 400', async (t) => {
  const getNote = document.paths['/notes/{id}']?.get?.responses ?? {}
  t.notOk('400' in getNote, 'GET /notes/{id}: no 400')
  for (const [path, method] of [['/notes/{id}', 'delete'], ['/auth/sessions/{id}', 'delete']] as const) {
    const response = document.paths[path]?.[method]?.responses?.['400'] as { description?: string } | undefined
    t.match(response?.description, /body was sent/, `${method.toUpperCase()} ${path}: the 400 documented is the one a sent body gets`)
  }
})
