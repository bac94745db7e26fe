import { statSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import t from 'tap'
import { buildTestApp, json, tempDir } from '../helpers/app.js'
import { outboxMessages, requestReset, settle, tokenIn, verifyAddressBySmtp } from '../helpers/recovery.js'
import { startSmtpServer } from '../helpers/smtp.js'
import { registerAndLogin } from '../helpers/users.js'
import { setVerifiedEmail } from '../../src/repositories/user-emails.js'

/** A port nothing listens on: taken from a server that is then closed. */
async function deadPort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve) })
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => { server.close(() => { resolve() }) })
  return port
}

const FAST_RETRIES = { mailRetryDelaysMs: [50, 100] }

t.test('a relay refusing with 5xx: the requester still gets 202, the failure is logged and audited without the token', async (t) => {
  const smtp = await startSmtpServer(t)
  const built = await buildTestApp(t, { SMTP_URL: smtp.url }, { testHooks: FAST_RETRIES })
  const { app } = built
  const user = await registerAndLogin(app, 'refused')
  await verifyAddressBySmtp(app, smtp, user.tokens.access_token, 'refused@example.test')

  smtp.refuseWith = 550
  const response = await requestReset(app, 'refused@example.test')
  t.equal(response.statusCode, 202, 'no 5xx to the requester: the send is off the request path')
  await settle(app)
  t.equal(smtp.messages.length, 1, 'nothing but the earlier confirmation arrived')

  const rows = await app.db.selectFrom('audit_events').selectAll().where('type', '=', 'mail_delivery').execute()
  t.equal(rows.length, 1, 'J1: one audit row for the failed delivery')
  const details = JSON.parse(rows[0]?.details ?? '{}') as Record<string, unknown>
  t.match(details, { kind: 'password_reset', attempts: 1, permanent: true, reason: /550/ }, 'a permanent refusal is not retried')
  t.equal(rows[0]?.actor_id, user.id)
  const token = (await app.db.selectFrom('recovery_tokens').select('token_hash').where('purpose', '=', 'password_reset').executeTakeFirst())
  t.ok(token, 'the token was made (and only its hash kept)')
  const failure = built.logs.find((line) => line.msg === 'mail delivery failed')
  t.match(failure, { level: 'error', mail: { kind: 'password_reset', attempts: 1 } }, 'an error line')
  t.notMatch(built.rawLogs(), /#token=/, 'H2: no link in any log line')
  t.notMatch(rows[0]?.details ?? '', /#token=/, 'nor in the audit row')
})

t.test('a relay that is down: bounded retries, then logged and audited; nothing waits on it', async (t) => {
  const built = await buildTestApp(t, { SMTP_URL: `smtp://127.0.0.1:${await deadPort()}` }, { testHooks: FAST_RETRIES })
  const { app } = built
  const user = await registerAndLogin(app, 'down')
  // Verified earlier, while the relay was up (the route is covered above and in test/routes/auth/email.test.ts).
  await setVerifiedEmail(app.db, user.id, 'down@example.test', new Date())

  const started = Date.now()
  const response = await requestReset(app, 'down@example.test')
  t.equal(response.statusCode, 202)
  t.ok(Date.now() - started < 1000, 'answered at once, not after the retries')
  await settle(app)
  const rows = await app.db.selectFrom('audit_events').select('details').where('type', '=', 'mail_delivery').execute()
  t.equal(rows.length, 1)
  t.match(JSON.parse(rows[0]?.details ?? '{}'), { kind: 'password_reset', attempts: 3, permanent: false }, 'three tries, then given up')
  t.notMatch(built.rawLogs(), /#token=/, 'H2: no link in any log line')
  t.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200, 'the service is unaffected')
})

t.test('development without SMTP_URL: each message goes to the outbox as a file and to the log with the token redacted', async (t) => {
  const outbox = `${tempDir(t)}/outbox`
  const built = await buildTestApp(t, { MAIL_OUTBOX_DIR: outbox })
  const { app } = built
  const user = await registerAndLogin(app, 'dev')
  t.equal((await app.inject({ method: 'POST', url: '/auth/email', headers: { authorization: `Bearer ${user.tokens.access_token}` }, payload: { email: 'dev@example.test' } })).statusCode, 202)
  await settle(app)
  const [confirmation] = outboxMessages(outbox)
  if (confirmation === undefined) throw new Error('no message in the outbox')
  t.match(confirmation, { to: 'dev@example.test', subject: 'Confirm your email address', text: /#token=/, html: /<a href=/ })
  t.equal(statSync(confirmation.file).mode & 0o777, 0o600, 'readable by the service only')
  const token = tokenIn(confirmation.text)
  t.equal((await app.inject({ method: 'POST', url: '/auth/email/verify', payload: { token } })).statusCode, 200, 'the outbox link works')
  const line = built.logs.find((entry) => entry.msg === 'mail written to the outbox (no SMTP_URL)')
  t.match(line, { mail: { kind: 'email_verification', to: 'dev@example.test', text: /#token=\[REDACTED\]/ } }, 'the log line shows the message, token redacted')
  t.notOk(built.rawLogs().includes(token), 'H2: the token is in no log line')

  await requestReset(app, 'dev@example.test')
  await settle(app)
  const reset = outboxMessages(outbox).find((message) => message.subject === 'Reset your password')
  t.ok(reset, 'the reset mail too')
  t.notOk(built.rawLogs().includes(tokenIn(reset?.text ?? '')), 'its token is in no log line either')
  t.same(json(await requestReset(app, 'nobody@example.test')), { status: 'accepted', message: 'If an account has this verified address, a reset link is on its way to it.' })
})
