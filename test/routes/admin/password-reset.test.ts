import t from 'tap'
import { buildTestApp, json } from '../../helpers/app.js'
import { onEachDatabase } from '../../helpers/databases.js'
import { resetPassword } from '../../helpers/recovery.js'
import { auditEvents, createAdmin, getProtected, refresh, sessionIdOf } from '../../helpers/sessions.js'
import { bearer, login, registerAndLogin, type Tokens } from '../../helpers/users.js'

const NEW_PASSWORD = 'handed-over-in-person-2026'

onEachDatabase(t, 'K7: an administrator issues a single-use reset token for out-of-band handover; audited', async (t, databaseUrl) => {
  const built = await buildTestApp(t, { DATABASE_URL: databaseUrl })
  const { app } = built
  const admin = await createAdmin(app)
  const user = await registerAndLogin(app, 'noemail')
  const url = `/admin/users/${user.id}/password-reset`

  const issued = await app.inject({ method: 'POST', url, headers: bearer(admin.tokens.access_token) })
  t.equal(issued.statusCode, 201)
  t.equal(issued.headers['cache-control'], 'no-store', 'a secret in the body: never cached')
  const body = json<{ reset_token: string, expires_at: string }>(issued)
  t.equal(Buffer.from(body.reset_token, 'base64url').length, 32, '256 bits')
  const lifetime = Date.parse(body.expires_at) - Date.now()
  t.ok(lifetime > 29 * 60_000 && lifetime <= 30 * 60_000, 'K7: expires within 30 minutes')
  t.equal((await getProtected(app, user.tokens.access_token)).statusCode, 200, 'issuing changes nothing yet')

  const audit = auditEvents(built.logs, 'admin_password_reset')
  t.match(audit, [{ outcome: 'success', user_id: admin.id, target_user_id: user.id, target_username: user.username }], 'J1: who issued it for whom')
  t.notOk(built.rawLogs().includes(body.reset_token), 'H2: the token is not logged')
  const row = await app.db.selectFrom('audit_events').select(['details']).where('type', '=', 'admin_password_reset').executeTakeFirstOrThrow()
  t.notOk(row.details.includes(body.reset_token), 'nor audited')

  const second = json<{ reset_token: string }>(await app.inject({ method: 'POST', url, headers: bearer(admin.tokens.access_token) }))
  t.equal((await resetPassword(app, body.reset_token, NEW_PASSWORD)).statusCode, 400, 'a newer token ends the older one')
  t.equal((await resetPassword(app, second.reset_token, NEW_PASSWORD)).statusCode, 204)
  t.equal((await getProtected(app, user.tokens.access_token)).statusCode, 401, 'every session of the user ended')
  t.equal((await refresh(app, user.tokens.refresh_token)).statusCode, 401)
  t.equal((await login(app, user.username, NEW_PASSWORD)).token_type, 'Bearer')
  t.equal((await resetPassword(app, second.reset_token, 'yet-another-passphrase-77')).statusCode, 400, 'single use')
  t.match(auditEvents(built.logs, 'password_reset').find((event) => event.outcome === 'success'), { user_id: user.id, issued_by: admin.id })
})

t.test('E2, K5: only a recently authenticated administrator may issue one', async (t) => {
  const { app } = await buildTestApp(t, { STEP_UP_MAX_AGE: '60' })
  const admin = await createAdmin(app)
  const user = await registerAndLogin(app, 'target')
  const url = `/admin/users/${user.id}/password-reset`
  t.equal((await app.inject({ method: 'POST', url })).statusCode, 401, 'no token')
  const refused = await app.inject({ method: 'POST', url, headers: bearer(user.tokens.access_token) })
  t.equal(refused.statusCode, 403, 'a user')
  t.equal((await app.inject({ method: 'POST', url: `/admin/users/${crypto.randomUUID()}/password-reset`, headers: bearer(admin.tokens.access_token) })).statusCode, 404, 'an unknown account')
  await app.db.updateTable('sessions').set({ auth_time: new Date(Date.now() - 7200_000).toISOString() }).where('id', '=', sessionIdOf(admin.tokens)).execute()
  const stale = json<Tokens>(await refresh(app, admin.tokens.refresh_token))
  const old = await app.inject({ method: 'POST', url, headers: bearer(stale.access_token) })
  t.equal(old.statusCode, 401, 'an authentication two hours old is not enough')
  t.match(old.headers['www-authenticate'], /insufficient_user_authentication/)
  t.equal(await app.db.selectFrom('recovery_tokens').select('id').execute().then((rows) => rows.length), 0, 'nothing was issued')
})
