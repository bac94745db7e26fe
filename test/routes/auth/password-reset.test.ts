import { createHash } from 'node:crypto'
import t from 'tap'
import { buildTestApp, json } from '../../helpers/app.js'
import { onEachDatabase } from '../../helpers/databases.js'
import { claimsOf, codeAt, enrolTotp, loginToChallenge } from '../../helpers/mfa.js'
import { requestReset, resetPassword, settle, tokenIn, verifyAddressBySmtp } from '../../helpers/recovery.js'
import { auditEvents, getProtected, refresh } from '../../helpers/sessions.js'
import { startSmtpServer } from '../../helpers/smtp.js'
import { bearer, login, registerAndLogin, STRONG_PASSWORD } from '../../helpers/users.js'

const NEW_PASSWORD = 'violet-harbour-sings-at-9-dawn'
const PUBLIC_URL = 'https://app.example.test'
const MAIL_FROM = 'Secure API <no-reply@example.test>'

onEachDatabase(t, 'K7, K8: reset by email end to end through a real SMTP server; every old session and token ends; the throttle is cleared', async (t, databaseUrl) => {
  const smtp = await startSmtpServer(t)
  const built = await buildTestApp(t, { DATABASE_URL: databaseUrl, SMTP_URL: smtp.url, PUBLIC_URL, MAIL_FROM, LOGIN_FREE_FAILURES: '2' })
  const { app } = built
  const user = await registerAndLogin(app, 'resetter')
  const email = `${user.username.replace(/\./g, '-')}@example.test`
  await verifyAddressBySmtp(app, smtp, user.tokens.access_token, email)
  const me = json(await app.inject({ method: 'GET', url: '/auth/me', headers: bearer(user.tokens.access_token) }))
  t.match(me, { email, email_verified: true }, 'the verified address is the account\'s')
  const second = await login(app, user.username)

  // Someone hammers the username: the owner is throttled (429) until the reset clears it.
  for (let i = 0; i < 3; i++) await app.inject({ method: 'POST', url: '/auth/login', payload: { username: user.username, password: `wrong-guess-${i}-xxxxxxxx` } })
  t.equal((await app.inject({ method: 'POST', url: '/auth/login', payload: { username: user.username, password: STRONG_PASSWORD } })).statusCode, 429, 'throttled before the reset')

  const before = smtp.messages.length
  const accepted = await requestReset(app, email.toUpperCase())
  t.equal(accepted.statusCode, 202, 'the address is compared case-insensitively')
  await settle(app)
  const mail = smtp.messages[before]
  if (mail === undefined) throw new Error('no reset mail')
  t.same(mail.to, [email], 'sent to the verified address')
  t.equal(mail.subject, 'Reset your password')
  t.equal(mail.headers.get('from'), MAIL_FROM)
  t.equal(mail.headers.get('auto-submitted'), 'auto-generated', 'RFC 3834 header')
  t.match(mail.text, new RegExp(`${PUBLIC_URL}/reset-password#token=[A-Za-z0-9_-]{43}`), 'the link is built on PUBLIC_URL, token in the fragment')
  t.match(mail.text, /30 minutes/)
  t.match(mail.html, /<a href="https:\/\/app\.example\.test\/reset-password#token=/, 'an HTML part with the same link')
  const token = tokenIn(mail.text)
  t.equal(Buffer.from(token, 'base64url').length, 32, 'K7: 256 random bits')

  const stored = await app.db.selectFrom('recovery_tokens').selectAll().where('purpose', '=', 'password_reset').execute()
  t.equal(stored.length, 1)
  t.equal(stored[0]?.token_hash, createHash('sha256').update(token).digest('base64url'), 'K7: stored only as its SHA-256')
  t.notOk(JSON.stringify(stored).includes(token), 'the token itself is nowhere in the table')
  const lifetime = Date.parse(String(stored[0]?.expires_at)) - Date.parse(String(stored[0]?.created_at))
  t.ok(lifetime <= 30 * 60_000, `K7: expires within 30 minutes (${lifetime / 60_000} min)`)

  const weak = await resetPassword(app, token, 'short')
  t.equal(weak.statusCode, 400, 'the password policy applies')
  t.match(json(weak), { type: 'urn:secure-api:problem:validation-error', errors: [{ pointer: '/new_password' }] })

  const done = await resetPassword(app, token, NEW_PASSWORD)
  t.equal(done.statusCode, 204, 'a weak attempt left the token usable; the reset succeeds')
  for (const tokens of [user.tokens, second]) {
    t.equal((await getProtected(app, tokens.access_token)).statusCode, 401, 'C6, K7: every access token of every session dies')
    t.equal((await refresh(app, tokens.refresh_token)).statusCode, 401, 'and every refresh token')
  }
  t.equal((await app.inject({ method: 'POST', url: '/auth/login', payload: { username: user.username, password: STRONG_PASSWORD } })).statusCode, 401, 'the old password is gone (and the throttle was cleared: 401, not 429)')
  const fresh = await login(app, user.username, NEW_PASSWORD)
  t.equal((await getProtected(app, fresh.access_token)).statusCode, 200, 'the new password logs in')

  const again = await resetPassword(app, token, 'another-long-passphrase-42')
  t.equal(again.statusCode, 400, 'K7: single use')
  t.match(json(again), { type: 'urn:secure-api:problem:invalid-reset-token', status: 400 })
  t.notOk(built.rawLogs().includes(token), 'H2: the reset token is in no log line')
  t.notOk(built.rawLogs().includes(NEW_PASSWORD), 'H2: nor the new password')

  const audit = await app.db.selectFrom('audit_events').select(['type', 'outcome', 'actor_id']).where('type', 'in', ['password_reset_request', 'password_reset']).orderBy('at').execute()
  t.match(audit.filter((row) => row.outcome === 'success'), [{ type: 'password_reset_request', actor_id: user.id }, { type: 'password_reset', actor_id: user.id }], 'J1: both steps are in the audit trail')
  t.match(auditEvents(built.logs, 'password_reset').find((event) => event.outcome === 'success'), { user_id: user.id, sessions_ended: 2 })
})

onEachDatabase(t, 'K7: used, expired, foreign and unknown tokens all answer the same 400 problem', async (t, databaseUrl) => {
  const smtp = await startSmtpServer(t)
  const { app } = await buildTestApp(t, { DATABASE_URL: databaseUrl, SMTP_URL: smtp.url })
  const user = await registerAndLogin(app, 'tokens')
  const email = `${user.username.replace(/\./g, '-')}@example.test`
  await verifyAddressBySmtp(app, smtp, user.tokens.access_token, email)
  const verificationToken = tokenIn(smtp.messages[0]?.text ?? '')

  await requestReset(app, email)
  await settle(app)
  const first = tokenIn(smtp.messages.at(-1)?.text ?? '')
  await requestReset(app, email)
  await settle(app)
  const second = tokenIn(smtp.messages.at(-1)?.text ?? '')
  t.not(first, second)

  const problemOf = async (token: string): Promise<unknown> => {
    const response = await resetPassword(app, token, NEW_PASSWORD)
    t.equal(response.statusCode, 400)
    const { instance: _instance, request_id: _requestId, ...rest } = json(response)
    return rest
  }
  const superseded = await problemOf(first)
  t.same(await problemOf('A'.repeat(43)), superseded, 'unknown: same answer as a superseded token (only the newest link works)')
  t.same(await problemOf(verificationToken), superseded, 'foreign: an address-confirmation token is not a reset token')
  await app.db.updateTable('recovery_tokens').set({ expires_at: new Date(Date.now() - 1000).toISOString() }).where('token_hash', '=', createHash('sha256').update(second).digest('base64url')).execute()
  t.same(await problemOf(second), superseded, 'expired')
  t.equal((await login(app, user.username)).token_type, 'Bearer', 'nothing changed: the old password still works')
})

onEachDatabase(t, 'K7: a reset token is single use also when two resets race with it', async (t, databaseUrl) => {
  const { app } = await buildTestApp(t, { DATABASE_URL: databaseUrl })
  const admin = await registerAndLogin(app, 'racer')
  const { issueAdminReset } = await import('../../../src/auth/recovery.js')
  const issued = await issueAdminReset(app.db, admin.id, admin.id, (target) => ({ id: crypto.randomUUID(), at: new Date().toISOString(), type: 'admin_password_reset', outcome: 'success', actor_id: target.id, subject_id: target.id, session_id: null, ip: null, user_agent: null, request_id: 'race', client_request_id: null, details: '{}', count: 1, bucket: null }))
  if (issued.outcome !== 'issued') throw new Error('not issued')
  const passwords = ['first-racing-passphrase-11', 'second-racing-passphrase-22', 'third-racing-passphrase-33', 'fourth-racing-passphrase-44']
  const statuses = await Promise.all(passwords.map(async (password) => (await resetPassword(app, issued.token.token, password)).statusCode))
  t.same([...statuses].sort(), [204, 400, 400, 400], `exactly one reset wins: ${statuses.join(', ')}`)
  const winner = passwords[statuses.indexOf(204)] ?? ''
  t.equal((await login(app, admin.username, winner)).token_type, 'Bearer', 'and its password is the one set')
})

onEachDatabase(t, 'K7: a reset leaves the second factor in place: after it, the password alone still gets an MFA challenge, and the code is needed', async (t, databaseUrl) => {
  const smtp = await startSmtpServer(t)
  const { app } = await buildTestApp(t, { DATABASE_URL: databaseUrl, SMTP_URL: smtp.url })
  const user = await registerAndLogin(app, 'totp')
  const email = `${user.username.replace(/\./g, '-')}@example.test`
  await verifyAddressBySmtp(app, smtp, user.tokens.access_token, email)
  const factor = await enrolTotp(app, user.tokens)

  await requestReset(app, email)
  await settle(app)
  t.equal((await resetPassword(app, tokenIn(smtp.messages.at(-1)?.text ?? ''), NEW_PASSWORD)).statusCode, 204)
  const factors = await app.db.selectFrom('mfa_factors').select(['id', 'confirmed_at']).where('user_id', '=', user.id).execute()
  t.match(factors, [{ id: factor.factorId, confirmed_at: String }], 'the confirmed factor is still there')

  const challenge = await loginToChallenge(app, user.username, NEW_PASSWORD)
  t.equal(challenge.mfa_required, true, 'K3: the new password alone gets a challenge, no tokens')
  t.notOk('access_token' in challenge)
  const wrong = await app.inject({ method: 'POST', url: '/auth/mfa/verify', payload: { mfa_token: challenge.mfa_token, code: codeAt(factor.secret, 0) === '000000' ? '111111' : '000000' } })
  t.equal(wrong.statusCode, 401, 'a wrong code is refused')
  const verified = await app.inject({ method: 'POST', url: '/auth/mfa/verify', payload: { mfa_token: challenge.mfa_token, code: codeAt(factor.secret, 0) } })
  t.equal(verified.statusCode, 200, 'the code finishes the login')
  t.match(claimsOf(json<{ access_token: string }>(verified).access_token), { acr: 'urn:secure-api:acr:mfa' })
})
