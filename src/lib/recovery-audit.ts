import type { FastifyRequest } from 'fastify'
import type { AuditSink } from '../mail/mailer.js'

/** The request's audit origin (address, agent, request id) for rows written later by a background job (J1, J3). */
export function recoveryAudit (request: FastifyRequest): AuditSink {
  return {
    row: (event, outcome, fields) => request.auditRow(event, outcome, fields),
    logged: (row) => { request.logAudit(row) }
  }
}
