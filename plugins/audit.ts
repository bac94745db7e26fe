import { randomUUID } from 'node:crypto'
import { BlockList, isIP } from 'node:net'
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { splitList } from '../src/config.js'
import { auditRow, type AuditFields, type AuditOrigin, type AuditOutcome, type AuditRow } from '../src/audit/audit-event.js'
import { insertAuditRows } from '../src/audit/audit-store.js'
import { DenialAggregator } from '../src/audit/denial-aggregator.js'

export type { AuditFields, AuditOutcome, AuditRow }

declare module 'fastify' {
  interface FastifyInstance {
    /** Denial floods, counted per actor, type and minute before they reach audit_events (J2). */
    denials: DenialAggregator
  }
  interface FastifyRequest {
    /**
     * Records one security event durably in audit_events, whatever LOG_LEVEL says (J1), and
     * logs it: who, when (UTC), source IP, request id, outcome (H1). For events with no
     * change of their own; a change writes `auditRow()` in its own transaction.
     */
    audit: (event: string, outcome: AuditOutcome, fields?: AuditFields) => Promise<void>
    /** The row for an event that a repository writes inside the transaction of its change. */
    auditRow: (event: string, outcome: AuditOutcome, fields?: AuditFields) => AuditRow
    /** Logs a row that a transaction has committed. */
    logAudit: (row: AuditRow) => void
    /**
     * A denial: aggregated into audit_events (J2) unless `aggregate` is false (the event has its
     * own audit row), and a warning that a flood cannot turn into a flood of lines (H3).
     */
    securityWarning: (event: string, fields?: Record<string, unknown>, options?: { aggregate: boolean }) => void
    auditOriginCache: AuditOrigin | null
  }
}

/** At most this many warnings a second per event type and instance; the rest are counted and summarised. */
const WARNINGS_PER_SECOND = 20
const DENIAL_FLUSH_INTERVAL_MS = 2000

type Warn = (request: FastifyRequest, event: string, fields: Record<string, unknown>) => void

/** One budget per event type, so a flood of junk tokens cannot hide a real user's refused role (H3). */
function createWarningBudget (): Warn {
  const budgets = new Map<string, { windowStart: number, used: number, suppressed: number }>()
  return (request, event, fields) => {
    const now = Date.now()
    let budget = budgets.get(event)
    if (budget === undefined) {
      budget = { windowStart: now, used: 0, suppressed: 0 }
      budgets.set(event, budget)
    }
    if (now - budget.windowStart >= 1000) {
      if (budget.suppressed > 0) request.log.warn({ security: { event: 'warnings_suppressed', suppressed_event: event, count: budget.suppressed } }, 'security warnings suppressed')
      budget.windowStart = now
      budget.used = 0
      budget.suppressed = 0
    }
    if (budget.used >= WARNINGS_PER_SECOND) {
      budget.suppressed++
      return
    }
    budget.used++
    request.log.warn({ security: { event, ip: request.ip, ...fields } }, event)
  }
}

/** The proxies TRUST_PROXY lists: only their X-Request-Id may become the audit request id (J3). */
function trustedProxyList (entries: string[]): BlockList {
  const list = new BlockList()
  for (const entry of entries) {
    const [address = '', prefix] = entry.split('/')
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4'
    if (prefix === undefined) list.addAddress(address, family)
    else list.addSubnet(address, Number(prefix), family)
  }
  return list
}

async function auditPlugin (fastify: FastifyInstance): Promise<void> {
  const warn = createWarningBudget()
  const proxies = trustedProxyList(splitList(fastify.config.TRUST_PROXY))
  const denials = new DenialAggregator(fastify.db, (error) => {
    fastify.log.error({ err: { message: error instanceof Error ? error.message : 'unknown' } }, 'audit: denial counts not written yet; kept for the next flush')
  })
  denials.start(DENIAL_FLUSH_INTERVAL_MS)
  fastify.decorate('denials', denials)
  // Before the pools close (onClose hooks run in reverse order of registration, db's is earlier).
  fastify.addHook('onClose', async () => { await denials.stop() })

  function fromTrustedProxy (request: FastifyRequest): boolean {
    const peer = request.socket?.remoteAddress
    if (peer === undefined) return false
    const family = isIP(peer) === 6 ? 'ipv6' : 'ipv4'
    return proxies.check(peer, family) || (family === 'ipv6' && peer.startsWith('::ffff:') && proxies.check(peer.slice(7), 'ipv4'))
  }

  function originOf (request: FastifyRequest): AuditOrigin {
    if (request.auditOriginCache !== null) return request.auditOriginCache
    const sent = request.headers['x-request-id']
    // request.id is the caller's X-Request-Id when it sent a sane one (the contract echoes it);
    // the audit trail trusts it only from a listed proxy, and keeps it apart otherwise.
    const clientSupplied = typeof sent === 'string' && sent === request.id
    const trusted = !clientSupplied || fromTrustedProxy(request)
    const origin: AuditOrigin = {
      ip: request.ip,
      // Bounded: a 16 KB User-Agent must not be copied into every audit row.
      userAgent: request.headers['user-agent']?.slice(0, 256) ?? null,
      requestId: trusted ? request.id : randomUUID(),
      clientRequestId: trusted ? null : request.id
    }
    request.auditOriginCache = origin
    return origin
  }

  function logAudit (request: FastifyRequest, row: AuditRow): void {
    // User-supplied values (such as an attempted username) stay inside JSON-escaped fields (H4).
    request.log.info({
      audit: {
        event: row.type,
        outcome: row.outcome,
        at: row.at,
        ip: row.ip,
        request_id: row.request_id,
        client_request_id: row.client_request_id,
        user_agent: row.user_agent,
        user_id: row.actor_id,
        ...(row.subject_id !== row.actor_id ? { target_user_id: row.subject_id } : {}),
        session_id: row.session_id,
        ...JSON.parse(row.details) as Record<string, unknown>
      }
    }, `audit ${row.type} ${row.outcome}`)
  }

  fastify.decorateRequest('auditOriginCache', null)
  fastify.decorateRequest('auditRow', function (this: FastifyRequest, event: string, outcome: AuditOutcome, fields: AuditFields = {}) {
    return auditRow(event, outcome, fields, originOf(this))
  })
  fastify.decorateRequest('logAudit', function (this: FastifyRequest, row: AuditRow) {
    logAudit(this, row)
  })
  fastify.decorateRequest('audit', async function (this: FastifyRequest, event: string, outcome: AuditOutcome, fields: AuditFields = {}) {
    const row = auditRow(event, outcome, fields, originOf(this))
    logAudit(this, row)
    await insertAuditRows(fastify.db, [row])
  })
  fastify.decorateRequest('securityWarning', function (this: FastifyRequest, event: string, fields: Record<string, unknown> = {}, options = { aggregate: true }) {
    warn(this, event, fields)
    if (!options.aggregate) return
    const userId = typeof fields.user_id === 'string' ? fields.user_id : null
    const at = new Date()
    denials.count(event, userId, this.ip, at, () => {
      const { user_id: _ignored, ...details } = fields
      return auditRow(event, 'denied', { user_id: userId, ...details }, originOf(this), at)
    })
  })
}

export default fp(auditPlugin, { name: 'audit', fastify: '5.x', dependencies: ['config', 'db', 'logging'] })
