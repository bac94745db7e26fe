import type { TSchema } from '@sinclair/typebox'
import { Ajv, type Options } from 'ajv'
import addFormats from 'ajv-formats'
import type { FastifySchemaCompiler } from 'fastify'

/**
 * Two Ajv instances: bodies are validated exactly (no type coercion, no removal of unknown
 * properties, so `{"username": 123}` or an extra field is a 400, requirement E3), while
 * querystrings, params and headers, which are always strings on the wire, are coerced.
 */
function createAjv (options: Options, schemas: TSchema[]): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true, removeAdditional: false, ...options })
  addFormats.default(ajv)
  for (const schema of schemas) ajv.addSchema(schema)
  return ajv
}

export function createValidatorCompiler (sharedSchemas: TSchema[]): FastifySchemaCompiler<TSchema> {
  const exact = createAjv({ coerceTypes: false }, sharedSchemas)
  const coercing = createAjv({ coerceTypes: 'array' }, sharedSchemas)
  return ({ schema, httpPart }) => (httpPart === 'body' ? exact : coercing).compile(schema)
}
