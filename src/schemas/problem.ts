import { Type, type TSchema } from '@sinclair/typebox'

export const ProblemSchema = Type.Object({
  type: Type.String({ maxLength: 256, description: 'A URI naming the kind of problem', examples: ['urn:secure-api:problem:validation-error'] }),
  title: Type.String({ maxLength: 256, description: 'Short summary of the kind of problem' }),
  status: Type.Integer({ format: 'int32', minimum: 400, maximum: 599, description: 'The HTTP status code' }),
  detail: Type.String({ maxLength: 1024, description: 'What went wrong with this request' }),
  instance: Type.String({ maxLength: 2048, description: 'The path of the request that failed (cut at 2048 characters)' }),
  request_id: Type.String({ maxLength: 128, description: 'The X-Request-Id of the request, for support' }),
  errors: Type.Optional(Type.Array(Type.Object({
    pointer: Type.String({ maxLength: 512, description: 'JSON pointer to the offending value, e.g. /password (cut at 512 characters)' }),
    message: Type.String({ maxLength: 512 }),
    location: Type.Optional(Type.Union([Type.Literal('body'), Type.Literal('query'), Type.Literal('path'), Type.Literal('header')]))
  }, { additionalProperties: false }), { maxItems: 50, description: 'Validation failures, one per offending value (the first 50)' }))
}, { $id: 'Problem', title: 'Problem', description: 'An RFC 9457 problem document', additionalProperties: false })

/** A documented problem response for one status, sent as application/problem+json. */
export function problem (description: string): TSchema {
  return {
    description,
    content: { 'application/problem+json': { schema: Type.Ref(ProblemSchema) } }
  } as unknown as TSchema
}

const COMMON_DESCRIPTIONS: Record<number, string> = {
  400: 'The request is malformed or invalid',
  401: 'Missing, invalid, expired or revoked credentials',
  403: 'The caller lacks the role this operation needs',
  404: 'Not found, or not the caller\'s',
  409: 'Conflicts with the current state',
  413: 'The body is larger than allowed',
  415: 'The body is not JSON',
  429: 'Too many requests; see Retry-After',
  503: 'A dependency is unavailable'
}

/** Problem responses for the given statuses, with default descriptions. */
export function problems (...statuses: number[]): Record<number, TSchema> {
  return Object.fromEntries(statuses.map((status) => [status, problem(COMMON_DESCRIPTIONS[status] ?? 'Error')]))
}
