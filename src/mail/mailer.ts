import type { FastifyBaseLogger } from 'fastify'
import type { Kysely } from 'kysely'
import type { AuditFields, AuditOutcome, AuditRow } from '../audit/audit-event.js'
import { insertAuditRows } from '../audit/audit-store.js'
import type { Database } from '../db/schema.js'
import { deliver, DEFAULT_RETRY_DELAYS_MS, type DeliveryResult } from './delivery.js'
import type { MailSettings } from './settings.js'
import type { MailTransport, OutgoingMail } from './transport.js'

/** How a job off the request path records what happened: rows made with the request's origin (J1, J3). */
export interface AuditSink {
  row: (event: string, outcome: AuditOutcome, fields?: AuditFields) => AuditRow
  /** Logs a row that has been committed. */
  logged: (row: AuditRow) => void
}

/**
 * Sends one message with the bounded retry, and reports the outcome: a line for every
 * delivery; for a failure an error line and an audit row, neither with the token (H2). Meant to
 * run inside a BackgroundQueue job: it may take seconds, never a request's time.
 */
export class Mailer {
  constructor (
    private readonly transport: MailTransport,
    readonly settings: MailSettings,
    private readonly db: Kysely<Database>,
    private readonly log: FastifyBaseLogger,
    private readonly retryDelaysMs: number[] = DEFAULT_RETRY_DELAYS_MS
  ) {}

  get transportName (): MailTransport['name'] {
    return this.transport.name
  }

  async send (mail: OutgoingMail, audit: AuditSink, userId: string): Promise<DeliveryResult> {
    const result = await deliver(this.transport, mail, this.retryDelaysMs)
    if (result.delivered) {
      this.log.info({ mail: { kind: mail.kind, user_id: userId, transport: this.transport.name, attempts: result.attempts, message_id: result.sent.messageId } }, 'mail sent')
      return result
    }
    this.log.error({ mail: { kind: mail.kind, user_id: userId, transport: this.transport.name, attempts: result.attempts, permanent: result.permanent, reason: result.reason } }, 'mail delivery failed')
    const row = audit.row('mail_delivery', 'failure', { user_id: userId, kind: mail.kind, attempts: result.attempts, permanent: result.permanent, reason: result.reason })
    try {
      await insertAuditRows(this.db, [row])
      audit.logged(row)
    } catch (error) {
      this.log.error({ err: { message: error instanceof Error ? error.message : 'unknown' } }, 'audit: the mail failure could not be recorded')
    }
    return result
  }

  close (): void {
    this.transport.close()
  }
}
