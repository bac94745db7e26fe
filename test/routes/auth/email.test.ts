import t from 'tap'
import { buildTestApp, json } from '../../helpers/app.js'
import { onEachDatabase } from '../../helpers/databases.js'
import { requestEmailChange, settle, tokenIn, verifyAddressBySmtp } from '../../helpers/recovery.js'
import { refresh, sessionIdOf } from '../../helpers/sessions.js'
import { startSmtpServer } from '../../helpers/smtp.js'
import { bearer, registerAndLogin, type Tokens } from '../../helpers/users.js'

const me = async (app: Parameters<typeof requestEmailChange>[0], accessToken: string): Promise<Record<string, unknown>> =>
  json(await app.inject({ method: 'GET', url: '/auth/me', headers: bearer(accessToken) }))

onEachDatabase(t, 'K8: an address is used only once verified; a change is announced to the old address', async (t, databaseUrl) => {
  const smtp = await startSmtpServer(t)
  const built = await buildTestApp(t, { DATABASE_URL: databaseUrl, SMTP_URL: smtp.url, PUBLIC_URL: 'https://app.example.test' })
  const { app } = built
  const user = await registerAndLogin(app, 'mailer')
  t.match(await me(app, user.tokens.access_token), { email: null, email_verified: false }, 'no address at first')

  const accepted = await requestEmailChange(app, user.tokens.access_token, 'Ada.First@Example.test')
  t.equal(accepted.statusCode, 202)
  t.same(json(accepted), { status: 'accepted', message: 'If the address can be used, a confirmation link is on its way to it.' })
  await settle(app)
  t.equal(smtp.messages.length, 1, 'one confirmation mail, no notice (there was no old address)')
  const confirmation = smtp.messages[0]
  t.same(confirmation?.to.map((to) => to.toLowerCase()), ['ada.first@example.test'], 'to the new address (nodemailer lower-cases the domain)')
  t.equal(confirmation?.subject, 'Confirm your email address')
  t.match(confirmation?.text, /https:\/\/app\.example\.test\/verify-email#token=[A-Za-z0-9_-]{43}/)
  t.match(await me(app, user.tokens.access_token), { email: null, email_verified: false }, 'K8: not used (nor shown) before it is confirmed')
  // The unverified address cannot be used for recovery.
  await app.inject({ method: 'POST', url: '/auth/password-reset/request', payload: { email: 'ada.first@example.test' } })
  await settle(app)
  t.equal(smtp.messages.length, 1, 'K8: no reset mail to an unverified address')

  const verified = await app.inject({ method: 'POST', url: '/auth/email/verify', payload: { token: tokenIn(confirmation?.text ?? '') } })
  t.equal(verified.statusCode, 200)
  t.match(json(verified), { id: user.id, email: 'Ada.First@Example.test', email_verified: true })
  const reused = await app.inject({ method: 'POST', url: '/auth/email/verify', payload: { token: tokenIn(confirmation?.text ?? '') } })
  t.equal(reused.statusCode, 400, 'single use')
  t.match(json(reused), { type: 'urn:secure-api:problem:invalid-verification-token' })

  // A change: the old address is told, the new one gets the link; the old stays until confirmed.
  await requestEmailChange(app, user.tokens.access_token, 'ada.second@example.test')
  await settle(app)
  const [link, notice] = [smtp.messages.find((m) => m.to.includes('ada.second@example.test')), smtp.messages.find((m) => m.to.includes('Ada.First@example.test') && m.subject !== 'Confirm your email address')]
  t.ok(link, 'a confirmation link to the new address')
  t.equal(notice?.subject, 'Your email address is being changed', 'K8: a notice to the old address')
  t.match(notice?.text, /ada\.second@example\.test/, 'naming the new address')
  t.notMatch(notice?.text, /#token=/, 'with no token in it')
  t.match(await me(app, user.tokens.access_token), { email: 'Ada.First@Example.test' }, 'the old address stays until the new one is confirmed')
  t.equal((await app.inject({ method: 'POST', url: '/auth/email/verify', payload: { token: tokenIn(link?.text ?? '') } })).statusCode, 200)
  t.match(await me(app, user.tokens.access_token), { email: 'ada.second@example.test', email_verified: true })
  const audit = await app.db.selectFrom('audit_events').select(['type', 'outcome']).where('actor_id', '=', user.id).where('type', 'in', ['email_change_request', 'email_verified']).execute()
  t.equal(audit.filter((row) => row.outcome === 'success').length, 4, 'J1: two requests and two confirmations audited')
  for (const message of smtp.messages) {
    const token = /#token=([A-Za-z0-9_-]+)/.exec(message.text)?.[1]
    if (token !== undefined) t.notOk(built.rawLogs().includes(token), 'H2: no confirmation token in the logs')
  }
})

onEachDatabase(t, 'K8: an address another account verified gets nothing usable; verification refuses a taken address with 409', async (t, databaseUrl) => {
  const smtp = await startSmtpServer(t)
  const { app } = await buildTestApp(t, { DATABASE_URL: databaseUrl, SMTP_URL: smtp.url })
  const owner = await registerAndLogin(app, 'owner')
  const other = await registerAndLogin(app, 'other')
  const third = await registerAndLogin(app, 'third')

  // Two accounts ask for the same address; both links go out while it is still free.
  await requestEmailChange(app, other.tokens.access_token, 'shared@example.test')
  await settle(app)
  const otherLink = tokenIn(smtp.messages.at(-1)?.text ?? '')
  await verifyAddressBySmtp(app, smtp, owner.tokens.access_token, 'Shared@Example.test')
  const taken = await app.inject({ method: 'POST', url: '/auth/email/verify', payload: { token: otherLink } })
  t.equal(taken.statusCode, 409, 'case-insensitively unique: the second confirmation is refused')
  t.match(json(taken), { type: 'urn:secure-api:problem:email-taken', status: 409 })
  t.match(await me(app, other.tokens.access_token), { email: null }, 'and changes nothing')

  // Now it is taken: a third account's request is answered alike, and nothing goes to the address.
  const sent = smtp.messages.length
  const response = await requestEmailChange(app, third.tokens.access_token, 'SHARED@example.test')
  t.equal(response.statusCode, 202, 'no enumeration: the same 202')
  await settle(app)
  t.equal(smtp.messages.length, sent, 'no mail to the owner\'s address that could hand it over')
  const denied = await app.db.selectFrom('audit_events').select(['details']).where('type', '=', 'email_change_request').where('outcome', '=', 'denied').where('actor_id', '=', third.id).execute()
  t.equal(denied.length, 1, 'J1: the refused request is audited')
  t.match(await me(app, owner.tokens.access_token), { email: 'Shared@Example.test' }, 'the owner keeps it')
})

onEachDatabase(t, 'K5: changing the address needs a recent authentication (RFC 9470 step-up)', async (t, databaseUrl) => {
  const { app } = await buildTestApp(t, { DATABASE_URL: databaseUrl, STEP_UP_MAX_AGE: '60' })
  const user = await registerAndLogin(app, 'stale')
  // The session authenticated two hours ago; a refresh keeps that auth_time (it is not an authentication).
  await app.db.updateTable('sessions').set({ auth_time: new Date(Date.now() - 7200_000).toISOString() }).where('id', '=', sessionIdOf(user.tokens)).execute()
  const stale = json<Tokens>(await refresh(app, user.tokens.refresh_token))
  const refused = await requestEmailChange(app, stale.access_token, 'late@example.test')
  t.equal(refused.statusCode, 401)
  t.match(refused.headers['www-authenticate'], /error="insufficient_user_authentication".*max_age=60/)
  t.match(json(refused), { type: 'urn:secure-api:problem:insufficient-user-authentication' })
  t.equal((await app.inject({ method: 'POST', url: '/auth/email', payload: { email: 'x@example.test' } })).statusCode, 401, 'needs a bearer token')
  t.equal((await requestEmailChange(app, user.tokens.access_token, 'not an address')).statusCode, 400, 'a malformed address is a 400')
  t.equal((await requestEmailChange(app, user.tokens.access_token, 'a@example.test\r\nBcc: victim@example.test')).statusCode, 400, 'no header injection through the address')
})

t.test('RECOVERY=off: the mail-driven operations answer 403 recovery-disabled', async (t) => {
  const { app } = await buildTestApp(t, { RECOVERY: 'off' })
  const user = await registerAndLogin(app, 'off')
  for (const response of [
    await requestEmailChange(app, user.tokens.access_token, 'off@example.test'),
    await app.inject({ method: 'POST', url: '/auth/email/verify', payload: { token: 'A'.repeat(43) } }),
    await app.inject({ method: 'POST', url: '/auth/password-reset/request', payload: { email: 'off@example.test' } })
  ]) {
    t.equal(response.statusCode, 403)
    t.match(json(response), { type: 'urn:secure-api:problem:recovery-disabled' })
  }
})
