import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import type { TestSmtpServer } from './smtp.js'
import { bearer } from './users.js'

/** The token of the link in a message (`#token=…`, 43 base64url characters: 256 bits). */
export function tokenIn (text: string): string {
  const match = /#token=([A-Za-z0-9_-]+)/.exec(text)
  if (match?.[1] === undefined) throw new Error(`no token link in: ${text}`)
  return match[1]
}

/** Waits until every job off the request path (lookups, tokens, mail with its retries) is done. */
export async function settle (app: FastifyInstance): Promise<void> {
  // Jobs are queued by the route's onResponse hook, which may run just after inject() resolves.
  await new Promise((resolve) => setImmediate(resolve))
  await app.recoveryJobs.idle()
}

export async function requestEmailChange (app: FastifyInstance, accessToken: string, email: string): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'POST', url: '/auth/email', headers: bearer(accessToken), payload: { email } })
}

export async function requestReset (app: FastifyInstance, email: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'POST', url: '/auth/password-reset/request', payload: { email }, headers })
}

export async function resetPassword (app: FastifyInstance, token: string, newPassword: string): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'POST', url: '/auth/password-reset', payload: { token, new_password: newPassword } })
}

/** Sets and verifies an address through the API and the SMTP peer, as a user would. */
export async function verifyAddressBySmtp (app: FastifyInstance, smtp: TestSmtpServer, accessToken: string, email: string): Promise<void> {
  const before = smtp.messages.length
  const accepted = await requestEmailChange(app, accessToken, email)
  if (accepted.statusCode !== 202) throw new Error(`email change: ${accepted.statusCode} ${accepted.body}`)
  await settle(app)
  const mail = smtp.messages.slice(before).find((message) => message.to.some((to) => to.toLowerCase() === email.toLowerCase()))
  if (mail === undefined) throw new Error('no confirmation mail arrived')
  const verified = await app.inject({ method: 'POST', url: '/auth/email/verify', payload: { token: tokenIn(mail.text) } })
  if (verified.statusCode !== 200) throw new Error(`verify: ${verified.statusCode} ${verified.body}`)
}

/** The messages the development outbox holds, oldest first. */
export function outboxMessages (dir: string): Array<{ to: string, subject: string, text: string, html: string, file: string }> {
  let files: string[]
  try {
    files = readdirSync(dir).filter((name) => name.endsWith('.json')).sort()
  } catch {
    return []
  }
  return files.map((name) => ({ ...JSON.parse(readFileSync(join(dir, name), 'utf8')) as { to: string, subject: string, text: string, html: string }, file: join(dir, name) }))
}
