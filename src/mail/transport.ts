import { randomUUID } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { FastifyBaseLogger } from 'fastify'
import type { Transporter } from 'nodemailer'
import type { RenderedMail } from './templates.js'

export interface OutgoingMail extends RenderedMail {
  to: string
  /** Values (tokens, links) that must never reach a log line or an audit row (H2). */
  secrets: string[]
}

export interface SentMail {
  messageId?: string
  file?: string
}

/** Where mail goes: an SMTP relay, or (development without SMTP_URL) files in an outbox directory. */
export interface MailTransport {
  readonly name: 'smtp' | 'outbox'
  send: (mail: OutgoingMail) => Promise<SentMail>
  close: () => void
}

/** RFC 3834: automatic mail; asks auto-responders (out-of-office) not to answer it. */
export const AUTOMATIC_MAIL_HEADERS = { 'Auto-Submitted': 'auto-generated', 'X-Auto-Response-Suppress': 'All' } as const

/** Replaces every secret in a text before it is logged. */
export function redactSecrets (text: string, secrets: string[]): string {
  let redacted = text
  for (const secret of secrets) if (secret.length > 0) redacted = redacted.split(secret).join('[REDACTED]')
  return redacted
}

/**
 * SMTP through nodemailer. Short timeouts: a relay that stops answering costs a delivery
 * attempt seconds, not nodemailer's default minutes. No file or URL access from message
 * fields (nothing we send needs it, and it closes a class of injection).
 */
export function smtpTransport (url: string, from: string): MailTransport {
  // nodemailer (about 3 MiB of heap) loads with the first message, off the request path:
  // most instances never send one (issue 10, memory).
  let connecting: Promise<Transporter> | undefined
  const transporter = async (): Promise<Transporter> => {
    connecting ??= import('nodemailer').then(({ createTransport }) => createTransport({
      url,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
      disableFileAccess: true,
      disableUrlAccess: true
    }, { from }))
    return await connecting
  }
  return {
    name: 'smtp',
    send: async (mail) => {
      const info = await (await transporter()).sendMail({ to: mail.to, subject: mail.subject, text: mail.text, html: mail.html, headers: { ...AUTOMATIC_MAIL_HEADERS } })
      return { messageId: info.messageId }
    },
    // A transporter that never opened has nothing to close (and its failure was already reported by send).
    close: () => { void connecting?.then((opened) => { opened.close() }, () => {}) }
  }
}

/**
 * Development without SMTP_URL: each message becomes a JSON file in the outbox (readable by
 * this user only; the curl example reads the reset link from it) and a log line with the token
 * redacted, so the README's two commands work with no mail server.
 */
export function outboxTransport (directory: string, from: string, log: FastifyBaseLogger): MailTransport {
  const dir = resolve(directory)
  return {
    name: 'outbox',
    send: async (mail) => {
      await mkdir(dir, { recursive: true, mode: 0o700 })
      const at = new Date().toISOString()
      const file = join(dir, `${at.replace(/[:.]/g, '-')}-${mail.kind}-${randomUUID().slice(0, 8)}.json`)
      const message = { from, to: mail.to, subject: mail.subject, date: at, headers: AUTOMATIC_MAIL_HEADERS, text: mail.text, html: mail.html }
      await writeFile(file, `${JSON.stringify(message, null, 2)}\n`, { mode: 0o600 })
      log.info({ mail: { kind: mail.kind, to: mail.to, subject: mail.subject, text: redactSecrets(mail.text, mail.secrets), file } }, 'mail written to the outbox (no SMTP_URL)')
      return { file }
    },
    close: () => {}
  }
}
