import type { components } from './schema.js'

export type Problem = components['schemas']['Problem']

/** A non-2xx answer: the RFC 9457 problem document the server sent, typed. */
export class ApiProblemError extends Error {
  readonly status: number
  readonly problem: Problem

  constructor (status: number, problem: Problem) {
    super(`${status} ${problem.title}: ${problem.detail}`)
    this.name = 'ApiProblemError'
    this.status = status
    this.problem = problem
  }
}

/** What every openapi-fetch call resolves to: data on success, error otherwise. */
export type ApiResult =
  | { data: unknown, error?: never, response: Response }
  | { data?: never, error: unknown, response: Response }

/** The success body type of a call's result. */
export type SuccessData<R> = R extends { data: infer D, error?: never } ? D : never

export function isProblem (value: unknown): value is Problem {
  if (typeof value !== 'object' || value === null) return false
  const candidate = value as Record<string, unknown>
  return typeof candidate.type === 'string' && typeof candidate.title === 'string' && typeof candidate.status === 'number'
}

/**
 * The success body, or an ApiProblemError carrying the server's problem document. A 204
 * resolves to undefined. An error body that is not a problem still throws, with a generic one.
 */
export function unwrap<R extends ApiResult> (result: R): SuccessData<R> {
  if (result.error === undefined && result.response.ok) return result.data as SuccessData<R>
  const status = result.response.status
  const problem: Problem = isProblem(result.error)
    ? result.error
    : { type: 'about:blank', title: result.response.statusText || 'Error', status, detail: 'The server answered without a problem document.', instance: '', request_id: result.response.headers.get('x-request-id') ?? '' }
  throw new ApiProblemError(status, problem)
}
