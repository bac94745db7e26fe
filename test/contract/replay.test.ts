import { randomUUID } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { createAdmin } from '../helpers/sessions.js'
import { issueRecoveryToken } from '../../src/repositories/recovery-tokens.js'
import { STRONG_PASSWORD } from '../helpers/users.js'
import { STEPS, type Json, type Step } from './exchanges.js'
import { loadCommittedDocument, operationsOf, ResponseValidator, type Exchange, type OpenApiDocument } from './openapi-validator.js'

/**
 * The document stays true on the wire (issue 14): every recorded step of ./exchanges.ts is
 * sent to a live server on a real port, and every response is checked against the COMMITTED
 * openapi/openapi.json (documented status, body against its schema, documented headers
 * present). The test fails when an operation of the document has no recorded success, so a
 * new operation must be recorded in ./exchanges.ts (see the comment at its top).
 */
function fill (template: string, vars: Map<string, string>): string {
  return template.replace(/\{\{([\w.]+)\}\}/g, (_match, name: string) => {
    const value = vars.get(name)
    if (value === undefined) throw new Error(`no value for {{${name}}} yet: record the step that saves it first`)
    return value
  })
}

function fillJson (value: Json, vars: Map<string, string>): Json {
  if (typeof value === 'string') return fill(value, vars)
  if (Array.isArray(value)) return value.map((item) => fillJson(item, vars))
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, fillJson(inner, vars)]))
  return value
}

async function send (baseUrl: string, step: Step, vars: Map<string, string>): Promise<Exchange> {
  const url = new URL(fill(step.path, vars), baseUrl)
  const headers: Record<string, string> = { ...step.headers }
  if (step.bearer !== undefined) headers.authorization = `Bearer ${fill(step.bearer, vars)}`
  let body: string | undefined
  if (step.raw !== undefined) {
    headers['content-type'] = step.raw.contentType
    body = step.raw.text
  } else if (step.bodyFrom !== undefined) {
    headers['content-type'] = 'application/json'
    body = JSON.stringify(step.bodyFrom(vars))
  } else if (step.body !== undefined) {
    headers['content-type'] = 'application/json'
    body = JSON.stringify(fillJson(step.body, vars))
  }
  const response = await fetch(url, { method: step.method, headers, ...(body === undefined ? {} : { body }) })
  return { method: step.method, path: url.pathname, status: response.status, headers: response.headers, body: await response.text() }
}

t.test('every recorded exchange conforms to the committed OpenAPI document', async (t) => {
  const document = loadCommittedDocument()
  const validator = new ResponseValidator(document)
  const { app } = await buildTestApp(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  const admin = await createAdmin(app)
  const run = `${process.pid}.${Date.now().toString(36)}`
  // What the confirmation mail would carry (the replay reads no mailbox): the admin's address to verify.
  const adminEmail = `admin.${run}@example.test`
  const emailToken = await issueRecoveryToken(app.db, { purpose: 'email_verification', userId: admin.id, email: adminEmail, ttlSeconds: 3600 }, new Date())
  const vars = new Map<string, string>([
    ['run', run],
    ['admin.email', adminEmail],
    ['admin.email_token', emailToken.token],
    ['password', STRONG_PASSWORD],
    ['admin.access', admin.tokens.access_token],
    ['admin.id', admin.id],
    ['missing.id', randomUUID()]
  ])

  const exchanges: Array<{ step: Step, exchange: Exchange }> = []
  for (const step of STEPS) {
    for (let round = 1; round <= (step.repeat ?? 1); round++) {
      const exchange = await send(baseUrl, step, vars)
      const label = `${step.operation}: ${step.method} ${step.path} -> ${exchange.status}`
      exchanges.push({ step, exchange })
      t.equal(validator.operationFor(exchange.method, exchange.path)?.operationId, step.operation, `${label}: recorded under its operation`)
      t.same(validator.violations(exchange), [], `${label}: conforms to the document`)
      if (round === (step.repeat ?? 1)) {
        t.equal(exchange.status, step.expect, `${label}: the recorded status`, { body: exchange.body })
        if (step.save !== undefined && exchange.status === step.expect) {
          for (const [name, value] of Object.entries(step.save(JSON.parse(exchange.body) as Json))) vars.set(name, value)
        }
      }
    }
  }

  const succeeded = new Set(exchanges.filter(({ exchange }) => exchange.status < 300).map(({ step }) => step.operation))
  const documented = operationsOf(document)
  for (const { operationId, method, template } of documented) {
    t.ok(succeeded.has(operationId), `${operationId} (${method.toUpperCase()} ${template}) has a recorded success: add one to test/contract/exchanges.ts`)
  }
  const known = new Set(documented.map(({ operationId }) => operationId))
  t.same(STEPS.filter((step) => !known.has(step.operation)).map((step) => step.operation), [], 'every step names a documented operation')

  // Which documented answers no step reaches (503s, closed registration, HS256's JWKS 404): said, not failed.
  const seen = new Set(exchanges.map(({ step, exchange }) => `${step.operation} ${exchange.status}`))
  const unseen = documented.flatMap(({ operationId, operation }) => Object.keys(operation.responses ?? {}).map((status) => `${operationId} ${status}`)).filter((key) => !seen.has(key))
  t.comment(`${exchanges.length} exchanges replayed; documented but not reached here: ${unseen.join(', ')}`)

  t.test('the validator is not vacuous: the same exchanges fail against a drifted document', async (t) => {
    const drifted = JSON.parse(JSON.stringify(document)) as OpenApiDocument
    const getNote = drifted.paths['/notes/{id}']?.get
    if (getNote?.responses !== undefined) Reflect.deleteProperty(getNote.responses, '404')
    const login = drifted.paths['/auth/login']?.post?.responses?.['200']
    if (login?.headers !== undefined) login.headers['X-Drift'] = { schema: { type: 'string' } }
    const noteSchema = drifted.components.schemas?.Note as { required?: string[] } | undefined
    noteSchema?.required?.push('colour')
    const strict = new ResponseValidator(drifted)
    const failures = exchanges.flatMap(({ exchange }) => strict.violations(exchange))
    t.ok(failures.some((failure) => /getNote 404: status not documented/.test(failure)), 'an undocumented status is caught')
    t.ok(failures.some((failure) => /login 200: documented header X-Drift missing/.test(failure)), 'a missing documented header is caught')
    t.ok(failures.some((failure) => /createNote 201: body .*colour/.test(failure)), 'a body that breaks its schema is caught')
  })
})
