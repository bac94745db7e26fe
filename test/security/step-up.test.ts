import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, json } from '../helpers/app.js'
import { onEachDatabase } from '../helpers/databases.js'
import { claimsOf, codeAt, enrolTotp } from '../helpers/mfa.js'
import { createAdmin } from '../helpers/sessions.js'
import { bearer, registerAndLogin, STRONG_PASSWORD, type Tokens } from '../helpers/users.js'

/** Moves a session's authentication into the past and refreshes, so the new access token carries the old auth_time. */
/** Moves the session's authentication `seconds` into the past and refreshes; returns the new tokens and the auth_time written (epoch seconds). */
async function ageAuthentication (app: FastifyInstance, tokens: Tokens, seconds: number): Promise<Tokens & { authTime: number }> {
  const sid = claimsOf(tokens.access_token).sid as string
  const authTime = new Date(Date.now() - seconds * 1000)
  await app.db.updateTable('sessions').set({ auth_time: authTime.toISOString() }).where('id', '=', sid).execute()
  const refreshed = await app.inject({ method: 'POST', url: '/auth/refresh', payload: { refresh_token: tokens.refresh_token } })
  return { ...json<Tokens>(refreshed), authTime: Math.floor(authTime.getTime() / 1000) }
}

onEachDatabase(t, 'K5: sensitive operations need a recent authentication (RFC 9470 max_age), and reauthenticate gives one', async (t, databaseUrl) => {
  const { app } = await buildTestApp(t, { DATABASE_URL: databaseUrl })
  const user = await registerAndLogin(app, 'stepup')
  const old = await ageAuthentication(app, user.tokens, 600)
  t.equal(claimsOf(old.access_token).auth_time, old.authTime, 'the refresh kept the old auth_time')

  const sensitive: Array<{ method: 'POST' | 'DELETE', url: string, payload?: Record<string, string> }> = [
    { method: 'POST', url: '/auth/mfa/totp' },
    { method: 'POST', url: '/auth/mfa/recovery-codes' },
    { method: 'DELETE', url: '/auth/mfa/factors/00000000-0000-4000-8000-000000000000' },
    { method: 'POST', url: '/auth/password', payload: { current_password: STRONG_PASSWORD, new_password: 'another-long-passphrase-91-harbour' } }
  ]
  for (const operation of sensitive) {
    const refused = await app.inject({ ...operation, headers: bearer(old.access_token) })
    t.equal(refused.statusCode, 401, `${operation.method} ${operation.url}`)
    t.equal(refused.headers['www-authenticate'], 'Bearer realm="secure-api", error="insufficient_user_authentication", error_description="A more recent authentication is required", max_age=300')
    t.match(json(refused), { type: 'urn:secure-api:problem:insufficient-user-authentication', status: 401 })
  }
  t.equal((await app.inject({ method: 'GET', url: '/auth/mfa/factors', headers: bearer(old.access_token) })).statusCode, 200, 'reading needs no step-up')
  const refusals = await app.db.selectFrom('audit_events').select(['type', 'count']).where('type', '=', 'step_up_required').execute()
  await app.denials.flush()
  const flushed = await app.db.selectFrom('audit_events').select(['type', 'count']).where('type', '=', 'step_up_required').execute()
  t.ok(refusals.length + flushed.length > 0, 'refusals are in the audit trail (aggregated)')

  const wrong = await app.inject({ method: 'POST', url: '/auth/reauthenticate', headers: bearer(old.access_token), payload: { password: 'not-the-password-at-all-x' } })
  t.equal(wrong.statusCode, 401)
  t.equal(wrong.headers['www-authenticate'], 'Bearer realm="secure-api"', 'no error= parameter: the access token itself is fine')
  const fresh = await app.inject({ method: 'POST', url: '/auth/reauthenticate', headers: bearer(old.access_token), payload: { password: STRONG_PASSWORD } })
  t.equal(fresh.statusCode, 200)
  t.equal(fresh.headers['cache-control'], 'no-store')
  const tokens = json<Tokens>(fresh)
  const claims = claimsOf(tokens.access_token)
  t.equal(claims.sid, claimsOf(old.access_token).sid, 'the same session')
  t.ok((claims.auth_time as number) >= Math.floor(Date.now() / 1000) - 5, 'a fresh auth_time')
  t.equal((await app.inject({ method: 'POST', url: '/auth/mfa/totp', headers: bearer(tokens.access_token) })).statusCode, 201, 'the step-up now passes')
  const previous = await app.inject({ method: 'POST', url: '/auth/refresh', payload: { refresh_token: old.refresh_token } })
  t.equal(previous.statusCode, 401, 'the session\'s previous refresh token stopped working')
})

onEachDatabase(t, 'K5: with a second factor, reauthentication takes the factor and makes the session multi-factor', async (t, databaseUrl) => {
  const { app } = await buildTestApp(t, { DATABASE_URL: databaseUrl })
  const user = await registerAndLogin(app, 'stepup2')
  const factor = await enrolTotp(app, user.tokens)
  // The session from before the enrolment is a password session.
  t.equal(claimsOf(user.tokens.access_token).acr, 'urn:secure-api:acr:password')
  const byPassword = await app.inject({ method: 'POST', url: '/auth/reauthenticate', headers: bearer(user.tokens.access_token), payload: { password: STRONG_PASSWORD } })
  t.equal(byPassword.statusCode, 400)
  t.equal(json(byPassword).type, 'urn:secure-api:problem:second-factor-required')
  const code = codeAt(factor.secret, 0)
  const byCode = await app.inject({ method: 'POST', url: '/auth/reauthenticate', headers: bearer(user.tokens.access_token), payload: { code } })
  t.equal(byCode.statusCode, 200)
  const claims = claimsOf(json<Tokens>(byCode).access_token)
  t.equal(claims.acr, 'urn:secure-api:acr:mfa')
  t.same(claims.amr, ['pwd', 'otp', 'mfa'])
  const replay = await app.inject({ method: 'POST', url: '/auth/reauthenticate', headers: bearer(json<Tokens>(byCode).access_token), payload: { code } })
  t.equal(replay.statusCode, 401, 'the code worked once')
})

t.test('K5: with ADMIN_REQUIRE_MFA a password-only admin token is refused with acr_values; the first admin gets in by enrolling', async (t) => {
  const { app } = await buildTestApp(t, { ADMIN_REQUIRE_MFA: 'true' })
  const admin = await createAdmin(app)
  const refused = await app.inject({ method: 'GET', url: '/admin/users', headers: bearer(admin.tokens.access_token) })
  t.equal(refused.statusCode, 401)
  t.equal(refused.headers['www-authenticate'], 'Bearer realm="secure-api", error="insufficient_user_authentication", error_description="A stronger authentication is required", acr_values="urn:secure-api:acr:mfa"')
  // A plain user still gets 403: stepping up would not help.
  const member = await registerAndLogin(app, 'member')
  t.equal((await app.inject({ method: 'GET', url: '/admin/users', headers: bearer(member.tokens.access_token) })).statusCode, 403)

  // The documented way in: enrol a factor right after user:create, then step up with a code.
  const factor = await enrolTotp(app, admin.tokens)
  const stepped = json<Tokens>(await app.inject({ method: 'POST', url: '/auth/reauthenticate', headers: bearer(admin.tokens.access_token), payload: { code: codeAt(factor.secret, 0) } }))
  t.equal((await app.inject({ method: 'GET', url: '/admin/users', headers: bearer(stepped.access_token) })).statusCode, 200)
})

t.test('K5: production mode refuses a password-only admin token by default', async (t) => {
  const { app, config } = await buildTestApp(t, { NODE_ENV: 'production', WEBAUTHN_ORIGINS: 'https://app.example.com' })
  t.equal(config.ADMIN_REQUIRE_MFA, true)
  const admin = await createAdmin(app)
  const refused = await app.inject({ method: 'PATCH', url: `/admin/users/${admin.id}`, headers: bearer(admin.tokens.access_token), payload: { disabled: true } })
  t.equal(refused.statusCode, 401)
  t.match(refused.headers['www-authenticate'], /error="insufficient_user_authentication".*acr_values="urn:secure-api:acr:mfa"/)
  t.equal((await app.db.selectFrom('users').select('disabled').where('id', '=', admin.id).executeTakeFirstOrThrow()).disabled, 0, 'nothing changed')
})
