import t from 'tap'
import { buildTestApp, json } from '../helpers/app.js'
import { requestReset, settle, tokenIn } from '../helpers/recovery.js'
import { createAdmin } from '../helpers/sessions.js'
import { startSmtpServer } from '../helpers/smtp.js'
import { bearer, registerAndLogin } from '../helpers/users.js'

/**
 * H2 for recovery (issue 13): at the most verbose level an operator could set, no token of a
 * confirmation link, a reset link or an admin handover, and no new password, reaches a log line,
 * whether the mail went out, failed, or was sent back to us in a request body.
 */
t.test('H2: recovery tokens and new passwords never reach a log line', async (t) => {
  const smtp = await startSmtpServer(t)
  const built = await buildTestApp(t, { LOG_LEVEL: 'trace', SMTP_URL: smtp.url }, { testHooks: { mailRetryDelaysMs: [10, 10] } })
  const { app } = built
  const admin = await createAdmin(app)
  const user = await registerAndLogin(app, 'canary')
  const newPassword = `canary-new-password-${Date.now()}`

  await app.inject({ method: 'POST', url: '/auth/email', headers: bearer(user.tokens.access_token), payload: { email: 'canary@example.test' } })
  await settle(app)
  const verification = tokenIn(smtp.messages[0]?.text ?? '')
  t.equal((await app.inject({ method: 'POST', url: '/auth/email/verify', payload: { token: verification } })).statusCode, 200)
  await requestReset(app, 'canary@example.test')
  await settle(app)
  const mailed = tokenIn(smtp.messages[1]?.text ?? '')
  const handover = json<{ reset_token: string }>(await app.inject({ method: 'POST', url: `/admin/users/${user.id}/password-reset`, headers: bearer(admin.tokens.access_token) })).reset_token
  // A weak attempt, an invalid one, then the real reset; then a failing delivery of a new link.
  await app.inject({ method: 'POST', url: '/auth/password-reset', payload: { token: mailed, new_password: 'short' } })
  t.equal((await app.inject({ method: 'POST', url: '/auth/password-reset', payload: { token: mailed, new_password: newPassword } })).statusCode, 400, 'superseded by the handover token')
  t.equal((await app.inject({ method: 'POST', url: '/auth/password-reset', payload: { token: handover, new_password: newPassword } })).statusCode, 204)
  smtp.refuseWith = 451
  await requestReset(app, 'canary@example.test')
  await settle(app)
  const failedToken = await app.db.selectFrom('recovery_tokens').select('token_hash').where('purpose', '=', 'password_reset').orderBy('created_at', 'desc').executeTakeFirst()

  const raw = built.rawLogs()
  t.match(raw, /"event":"password_reset","outcome":"success"/, 'the flow was logged: the checks below are not vacuous')
  t.match(raw, /mail delivery failed/)
  for (const [name, canary] of Object.entries({ verification, mailed, handover, newPassword })) {
    t.notOk(raw.includes(canary), `${name} is not in the logs`)
  }
  t.ok(failedToken, 'a token was made for the failed delivery')
  t.notMatch(raw, /#token=[A-Za-z0-9_-]/, 'no link with a token at all')
})
