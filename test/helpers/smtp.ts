import type { AddressInfo } from 'node:net'
import { SMTPServer } from 'smtp-server'
import type { Teardown } from './app.js'

/** One message as the SMTP peer received it: envelope, headers, and the decoded text and HTML parts. */
export interface ReceivedMail {
  from: string
  to: string[]
  raw: string
  headers: Map<string, string>
  subject: string
  text: string
  html: string
}

export interface TestSmtpServer {
  url: string
  port: number
  messages: ReceivedMail[]
  /** The next RCPT TO gets this permanent refusal (e.g. 550) instead of acceptance; null accepts. */
  refuseWith: number | null
  /** Resolves when `count` messages have arrived, rejects after `timeoutMs`. */
  waitForMessages: (count: number, timeoutMs?: number) => Promise<ReceivedMail[]>
  close: () => Promise<void>
}

function unfoldHeaders (block: string): Map<string, string> {
  const headers = new Map<string, string>()
  for (const line of block.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':')
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim())
  }
  return headers
}

function splitHead (entity: string): { headers: Map<string, string>, body: string } {
  const end = entity.indexOf('\r\n\r\n')
  return end === -1 ? { headers: unfoldHeaders(entity), body: '' } : { headers: unfoldHeaders(entity.slice(0, end)), body: entity.slice(end + 4) }
}

function decodeBody (body: string, encoding: string | undefined): string {
  switch ((encoding ?? '7bit').toLowerCase()) {
    case 'base64': return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8')
    case 'quoted-printable': {
      const bytes = body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/gi, (_match, hex: string) => String.fromCharCode(parseInt(hex, 16)))
      return Buffer.from(bytes, 'latin1').toString('utf8')
    }
    default: return body
  }
}

/** RFC 2047 encoded-words in a header (nodemailer uses them for non-ASCII subjects). */
function decodeHeader (value: string): string {
  return value.replace(/=\?utf-8\?([BQ])\?([^?]*)\?=/gi, (_match, kind: string, text: string) => kind.toUpperCase() === 'B'
    ? Buffer.from(text, 'base64').toString('utf8')
    : decodeBody(text.replace(/_/g, ' '), 'quoted-printable'))
}

/** A small MIME reader for what nodemailer sends: one text part, or multipart/alternative with text and HTML. */
export function parseMail (raw: string, from: string, to: string[]): ReceivedMail {
  const { headers, body } = splitHead(raw)
  let text = ''
  let html = ''
  const type = headers.get('content-type') ?? 'text/plain'
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1]
  const parts = boundary === undefined ? [{ headers, body }] : body.split(`--${boundary}`).slice(1, -1).map((part) => splitHead(part.replace(/^\r\n/, '')))
  for (const part of parts) {
    const partType = part.headers.get('content-type') ?? 'text/plain'
    const decoded = decodeBody(part.body.replace(/\r\n$/, ''), part.headers.get('content-transfer-encoding'))
    if (partType.startsWith('text/plain')) text = decoded
    else if (partType.startsWith('text/html')) html = decoded
  }
  return { from, to, raw, headers, subject: decodeHeader(headers.get('subject') ?? ''), text, html }
}

/**
 * A real SMTP server in this process on 127.0.0.1 and a free port: the test is the relay the
 * service talks to (no STARTTLS, no AUTH), and sees exactly what went over the wire.
 */
export async function startSmtpServer (t: Teardown): Promise<TestSmtpServer> {
  const messages: ReceivedMail[] = []
  const waiters: Array<() => void> = []
  const state: { refuseWith: number | null } = { refuseWith: null }
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo (_address, _session, callback) {
      if (state.refuseWith === null) { callback(); return }
      callback(Object.assign(new Error('Mailbox unavailable'), { responseCode: state.refuseWith }))
    },
    onData (stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (chunk: Buffer) => { chunks.push(chunk) })
      stream.on('end', () => {
        const from = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address
        messages.push(parseMail(Buffer.concat(chunks).toString('utf8'), from, session.envelope.rcptTo.map((rcpt) => rcpt.address)))
        for (const wake of waiters.splice(0)) wake()
        callback()
      })
    }
  })
  await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve) })
  const port = (server.server.address() as AddressInfo).port
  let closed = false
  const close = async (): Promise<void> => {
    if (closed) return
    closed = true
    await new Promise<void>((resolve) => { server.close(resolve) })
  }
  t.teardown(close)
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    messages,
    get refuseWith () { return state.refuseWith },
    set refuseWith (code: number | null) { state.refuseWith = code },
    waitForMessages: async (count, timeoutMs = 10_000) => {
      const deadline = Date.now() + timeoutMs
      while (messages.length < count) {
        const left = deadline - Date.now()
        if (left <= 0) throw new Error(`expected ${count} messages, got ${messages.length}`)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left)
          waiters.push(() => { clearTimeout(timer); resolve() })
        })
      }
      return messages.slice(0, count)
    },
    close
  }
}
