import type { FastifyRequest } from 'fastify'

/** What a session records about its client: a bounded User-Agent and the (proxy-aware) address. */
export function clientMeta (request: FastifyRequest): { userAgent: string | null, ip: string } {
  const agent = request.headers['user-agent']
  return { userAgent: typeof agent === 'string' ? agent.slice(0, 256) : null, ip: request.ip }
}
