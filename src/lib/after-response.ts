import type { FastifyReply, FastifyRequest } from 'fastify'
import type { BackgroundQueue } from './background-queue.js'

/**
 * Work a route hands to the background queue only once its answer has been written
 * (Fastify's onResponse): the job's database work (synchronous with SQLite) can then never
 * delay the answer, so the answer's timing cannot depend on what the job finds (K7).
 */
export interface AfterResponse {
  /** Call in the handler: the job runs after the response is sent. */
  defer: (request: FastifyRequest, job: () => Promise<void>) => void
  /** The route's onResponse hook. */
  onResponse: (request: FastifyRequest, reply: FastifyReply) => Promise<void>
}

export function afterResponse (queue: BackgroundQueue, what: string): AfterResponse {
  const jobs = new WeakMap<FastifyRequest, () => Promise<void>>()
  return {
    defer: (request, job) => { jobs.set(request, job) },
    onResponse: async (request) => {
      const job = jobs.get(request)
      if (job === undefined) return
      jobs.delete(request)
      // Full: the request has had its 202 like every other; its job is dropped, and said so.
      if (!queue.push(job)) request.log.warn({ recovery: { event: what } }, 'recovery queue full: request dropped')
    }
  }
}
