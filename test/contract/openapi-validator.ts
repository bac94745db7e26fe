import { readFileSync } from 'node:fs'
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'

/**
 * Checks real HTTP exchanges against the COMMITTED openapi/openapi.json, the way an outside
 * client or validator would: it never looks at the route schemas, so a document that drifted
 * from the code fails here even when the code agrees with itself.
 */
export const COMMITTED_DOCUMENT = new URL('../../openapi/openapi.json', import.meta.url)
const DOCUMENT_ID = 'urn:secure-api:openapi'
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'] as const

interface SchemaRef { $ref?: string, type?: string, oneOf?: SchemaRef[] }
interface Header { $ref?: string, required?: boolean, schema?: SchemaRef }
interface Response { content?: Record<string, { schema?: SchemaRef }>, headers?: Record<string, Header> }
export interface Operation { operationId?: string, responses?: Record<string, Response> }
export interface OpenApiDocument {
  paths: Record<string, Partial<Record<typeof METHODS[number], Operation>>>
  components: { schemas?: Record<string, unknown>, headers?: Record<string, Header> }
}

export interface Exchange {
  method: string
  /** The concrete path requested, without the query string. */
  path: string
  status: number
  headers: Headers
  /** The raw body text ('' when none). */
  body: string
}

export function loadCommittedDocument (): OpenApiDocument {
  return JSON.parse(readFileSync(COMMITTED_DOCUMENT, 'utf8')) as OpenApiDocument
}

export interface DocumentedOperation { method: string, template: string, operationId: string, operation: Operation }

export function operationsOf (document: OpenApiDocument): DocumentedOperation[] {
  return Object.entries(document.paths).flatMap(([template, item]) => METHODS.flatMap((method) => {
    const operation = item[method]
    return operation === undefined ? [] : [{ method, template, operationId: operation.operationId ?? `${method} ${template}`, operation }]
  }))
}

function templatePattern (template: string): RegExp {
  const escaped = template.split(/\{[^}]+\}/).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
  return new RegExp(`^${escaped.join('[^/]+')}$`)
}

export class ResponseValidator {
  readonly document: OpenApiDocument
  private readonly ajv: Ajv2020
  private readonly compiled = new Map<string, ValidateFunction>()
  private readonly routes: Array<DocumentedOperation & { pattern: RegExp }>

  constructor (document: OpenApiDocument = loadCommittedDocument()) {
    this.document = document
    // OpenAPI 3.1 schemas are JSON Schema 2020-12; OpenAPI's own keywords (example, ...) are not errors.
    this.ajv = new Ajv2020({ strict: false, allErrors: true })
    addFormats.default(this.ajv)
    this.ajv.addSchema({ $id: DOCUMENT_ID, components: document.components })
    // Literal paths before templated ones: /auth/sessions must not match /auth/sessions/{id}'s neighbours.
    this.routes = operationsOf(document).map((operation) => ({ ...operation, pattern: templatePattern(operation.template) }))
      .sort((a, b) => (a.template.includes('{') ? 1 : 0) - (b.template.includes('{') ? 1 : 0))
  }

  /** The documented operation a request goes to, or undefined. */
  operationFor (method: string, path: string): DocumentedOperation | undefined {
    return this.routes.find((route) => route.method === method.toLowerCase() && route.pattern.test(path))
  }

  /** A schema of the document, compiled once; $refs resolve inside the committed document. */
  validatorFor (schema: SchemaRef): ValidateFunction {
    const key = JSON.stringify(schema)
    let validate = this.compiled.get(key)
    if (validate === undefined) {
      const rebased = JSON.parse(key.replace(/"\$ref":"#\//g, `"$ref":"${DOCUMENT_ID}#/`)) as Record<string, unknown>
      validate = this.ajv.compile(rebased)
      this.compiled.set(key, validate)
    }
    return validate
  }

  private resolveHeader (header: Header): Header {
    const name = header.$ref?.replace('#/components/headers/', '')
    return name === undefined ? header : this.document.components.headers?.[name] ?? header
  }

  /** Every way the exchange departs from the document; empty when it conforms. */
  violations (exchange: Exchange): string[] {
    const found = this.operationFor(exchange.method, exchange.path)
    if (found === undefined) return [`${exchange.method} ${exchange.path}: no documented operation`]
    const label = `${found.operationId} ${exchange.status}`
    const response = found.operation.responses?.[String(exchange.status)]
    if (response === undefined) return [`${label}: status not documented (documented: ${Object.keys(found.operation.responses ?? {}).join(', ')})`]
    const problems: string[] = []

    for (const [name, raw] of Object.entries(response.headers ?? {})) {
      const header = this.resolveHeader(raw)
      const value = exchange.headers.get(name)
      if (value === null) {
        problems.push(`${label}: documented header ${name} missing`)
        continue
      }
      const schema = header.schema ?? {}
      const typed: unknown = schema.type === 'integer' || schema.type === 'number' ? Number(value) : value
      const validate = this.validatorFor(schema)
      if (!validate(typed)) problems.push(`${label}: header ${name}=${JSON.stringify(value)} ${this.ajv.errorsText(validate.errors)}`)
    }

    const contentType = (exchange.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? ''
    const documented = Object.keys(response.content ?? {})
    if (documented.length === 0) {
      if (exchange.body !== '') problems.push(`${label}: a body was sent where none is documented`)
      return problems
    }
    const media = response.content?.[contentType]
    if (media === undefined) return [...problems, `${label}: content type ${contentType || '(none)'} not documented (documented: ${documented.join(', ')})`]
    let body: unknown
    try {
      body = JSON.parse(exchange.body)
    } catch {
      return [...problems, `${label}: the body is not JSON`]
    }
    if (media.schema !== undefined) {
      const validate = this.validatorFor(media.schema)
      if (!validate(body)) problems.push(`${label}: body ${this.ajv.errorsText(validate.errors)}`)
    }
    if (contentType === 'application/problem+json' && (body as { status?: unknown }).status !== exchange.status) {
      problems.push(`${label}: the problem's status differs from the HTTP status`)
    }
    return problems
  }
}
