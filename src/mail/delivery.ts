import type { MailTransport, OutgoingMail, SentMail } from './transport.js'
import { redactSecrets } from './transport.js'

/** Three tries: at once, after 1 s, after 4 s more; then the failure is logged and audited. */
export const DEFAULT_RETRY_DELAYS_MS = [1000, 4000]

export type DeliveryResult =
  | { delivered: true, attempts: number, sent: SentMail }
  | { delivered: false, attempts: number, permanent: boolean, reason: string }

interface SmtpLikeError {
  code?: unknown
  responseCode?: unknown
  message?: unknown
}

/**
 * A relay's 5xx (RFC 5321 §4.2.1: permanent) and a refused login will fail the same way again;
 * a 4xx, a timeout or a connection refused or reset may not.
 */
export function isPermanentFailure (error: unknown): boolean {
  const { code, responseCode } = (error ?? {}) as SmtpLikeError
  if (typeof responseCode === 'number' && responseCode >= 500) return true
  return code === 'EAUTH' || code === 'ENOAUTH' || code === 'ECONFIG' || code === 'EENVELOPE'
}

/**
 * What a failure may say in a log line or audit row: the error's code and SMTP status and its
 * message with every secret of the message cut out (a relay could echo the text back), bounded.
 */
export function describeFailure (error: unknown, secrets: string[]): string {
  const { code, responseCode, message } = (error ?? {}) as SmtpLikeError
  const parts = [typeof code === 'string' ? code : undefined, typeof responseCode === 'number' ? String(responseCode) : undefined].filter((part) => part !== undefined)
  const text = typeof message === 'string' ? redactSecrets(message, secrets).slice(0, 300) : 'unknown error'
  return `${parts.length > 0 ? `${parts.join(' ')}: ` : ''}${text}`
}

/** Sends with a bounded retry (transient failures only); never throws. */
export async function deliver (
  transport: MailTransport,
  mail: OutgoingMail,
  retryDelaysMs: number[] = DEFAULT_RETRY_DELAYS_MS,
  sleep: (ms: number) => Promise<void> = async (ms) => { await new Promise((resolve) => setTimeout(resolve, ms)) }
): Promise<DeliveryResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return { delivered: true, attempts: attempt, sent: await transport.send(mail) }
    } catch (error) {
      const permanent = isPermanentFailure(error)
      const delay = retryDelaysMs[attempt - 1]
      if (permanent || delay === undefined) return { delivered: false, attempts: attempt, permanent, reason: describeFailure(error, mail.secrets) }
      await sleep(delay)
    }
  }
}
