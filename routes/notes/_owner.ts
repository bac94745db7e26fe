import type { FastifyRequest } from 'fastify'
import { invalidToken, notFound, type HttpProblem } from '../../src/lib/problems.js'

/** The caller's user id; the auth guard (config.auth) has set the principal before any handler runs. */
export function ownerOf (request: FastifyRequest): string {
  if (request.principal === null) throw invalidToken()
  return request.principal.userId
}

/** One answer for a missing note and another user's note, so ids cannot be probed (E1). */
export function noteNotFound (): HttpProblem {
  return notFound('No note with this id exists.')
}
