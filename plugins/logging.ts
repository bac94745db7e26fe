import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyRequest } from 'fastify'

export type AuditOutcome = 'success' | 'failure' | 'denied' | 'detected'

export interface AuditFields {
  user_id?: string | null
  username?: string | null
  session_id?: string | null
  reason?: string
  [key: string]: unknown
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Writes one structured audit event: who, when (UTC), source IP, request id, outcome (H1). */
    audit: (event: string, outcome: AuditOutcome, fields?: AuditFields) => void
    /** A warning that a flood of bad requests cannot turn into a flood of log lines (H3). */
    securityWarning: (event: string, fields?: Record<string, unknown>) => void
  }
}

/** At most this many security warnings a second per instance; the rest are counted and summarised. */
const WARNINGS_PER_SECOND = 20

function createWarningBudget (): (request: FastifyRequest, event: string, fields: Record<string, unknown>) => void {
  let windowStart = 0
  let used = 0
  let suppressed = 0
  return (request, event, fields) => {
    const now = Date.now()
    if (now - windowStart >= 1000) {
      if (suppressed > 0) request.log.warn({ security: { event: 'warnings_suppressed', count: suppressed } }, 'security warnings suppressed')
      windowStart = now
      used = 0
      suppressed = 0
    }
    if (used >= WARNINGS_PER_SECOND) {
      suppressed++
      return
    }
    used++
    request.log.warn({ security: { event, ip: request.ip, ...fields } }, event)
  }
}

async function loggingPlugin (fastify: FastifyInstance): Promise<void> {
  const warn = createWarningBudget()

  fastify.decorateRequest('audit', function (this: FastifyRequest, event: string, outcome: AuditOutcome, fields: AuditFields = {}) {
    // User-supplied values (such as an attempted username) stay inside JSON-escaped fields (H4).
    this.log.info({
      audit: {
        event,
        outcome,
        at: new Date().toISOString(),
        ip: this.ip,
        request_id: this.id,
        // Bounded: a 16 KB User-Agent must not be copied into every audit line.
        user_agent: this.headers['user-agent']?.slice(0, 256) ?? null,
        ...fields
      }
    }, `audit ${event} ${outcome}`)
  })

  fastify.decorateRequest('securityWarning', function (this: FastifyRequest, event: string, fields: Record<string, unknown> = {}) {
    warn(this, event, fields)
  })

  // Echoed on every response, errors included, so a caller can quote it to support.
  fastify.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id)
  })
}

export default fp(loggingPlugin, { name: 'logging', fastify: '5.x' })
