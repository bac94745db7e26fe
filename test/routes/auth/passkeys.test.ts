import t from 'tap'
import { buildTestApp, json } from '../../helpers/app.js'
import { onEachDatabase } from '../../helpers/databases.js'
import { enrolPasskey, loginOptions, newAuthenticator, passkeyLogin, registrationOptions, submitRegistration, TEST_RP_ID } from '../../helpers/passkeys.js'
import { auditEvents, claimsOf, getProtected, sessionIdOf } from '../../helpers/sessions.js'
import { bearer, registerAndLogin, type Tokens } from '../../helpers/users.js'

interface Passkey { id: string, name: string, created_at: string, last_used_at: string | null }

onEachDatabase(t, 'K4/K6: enrol a passkey, list and rename it, then log in with it alone', async (t, databaseUrl) => {
  const built = await buildTestApp(t, { DATABASE_URL: databaseUrl })
  const { app } = built
  const user = await registerAndLogin(app, 'pk')
  const authenticator = newAuthenticator()

  const options = await registrationOptions(app, user.tokens.access_token)
  t.same(options.rp, { id: TEST_RP_ID, name: 'Secure API' }, 'the relying party of the configuration')
  t.same(options.pubKeyCredParams.map((param) => param.alg), [-8, -7, -257], 'EdDSA, ES256, RS256 and nothing else')
  t.match(options.authenticatorSelection, { residentKey: 'required', userVerification: 'required' }, 'a discoverable, user-verifying credential')
  t.equal(options.timeout, 300_000, 'the browser gets as long as the challenge lives (5 min)')
  t.equal(Buffer.from(options.user.id, 'base64url').toString(), user.id, 'the user handle is the random user id, no personal data')
  t.same(options.excludeCredentials, [])

  const created = await submitRegistration(app, user.tokens.access_token, { response: authenticator.register(options), name: 'Laptop' })
  t.equal(created.statusCode, 201)
  const passkey = json<Passkey>(created)
  t.same(Object.keys(passkey).sort(), ['created_at', 'id', 'last_used_at', 'name'], 'E4: no credential id, key or counter in the answer')
  t.match(passkey, { name: 'Laptop', last_used_at: null })

  const again = await registrationOptions(app, user.tokens.access_token)
  t.same(again.excludeCredentials?.map((descriptor) => descriptor.id), [authenticator.id], 'the next options exclude the enrolled credential')

  const renamed = await app.inject({ method: 'PATCH', url: `/auth/passkeys/${passkey.id}`, headers: bearer(user.tokens.access_token), payload: { name: 'Work laptop' } })
  t.equal(renamed.statusCode, 200)
  t.equal(json<Passkey>(renamed).name, 'Work laptop')
  t.equal((await app.inject({ method: 'PATCH', url: `/auth/passkeys/${passkey.id}`, headers: bearer(user.tokens.access_token), payload: { name: 'x', counter: 0 } })).statusCode, 400, 'E3: nothing but the name')

  const login = await loginOptions(app)
  t.equal(login.userVerification, 'required', 'K6: user verification required for passwordless login')
  t.equal(login.allowCredentials, undefined, 'discoverable: no allowCredentials')
  t.equal(login.rpId, TEST_RP_ID)
  t.match(login.challenge_id, /^[0-9a-f-]{36}$/)
  const response = await app.inject({ method: 'POST', url: '/auth/passkeys/login', payload: { challenge_id: login.challenge_id, response: authenticator.assert(login) } })
  t.equal(response.statusCode, 200)
  t.match(response.headers['cache-control'], /no-store/, 'B5')
  const tokens = json<Tokens>(response)
  const claims = claimsOf(tokens.access_token)
  t.same(claims.amr, ['hwk', 'user'], 'K4: amr says hardware key and user verification')
  t.equal(claims.acr, 'urn:secure-api:acr:mfa', 'K4: counts as two factors')
  t.equal(claims.sub, user.id)
  t.ok(Math.abs(Number(claims.auth_time) - Date.now() / 1000) < 60, 'auth_time is now')
  t.not(sessionIdOf(tokens), sessionIdOf(user.tokens), 'C7: a new session')
  t.equal((await getProtected(app, tokens.access_token)).statusCode, 200, 'the passkey alone reaches /protected')
  const refreshed = await app.inject({ method: 'POST', url: '/auth/refresh', payload: { refresh_token: tokens.refresh_token } })
  t.same(claimsOf(json<Tokens>(refreshed).access_token).amr, ['hwk', 'user'], 'a refresh keeps how the session authenticated')

  const listed = await app.inject({ method: 'GET', url: '/auth/passkeys', headers: bearer(tokens.access_token) })
  t.equal(listed.statusCode, 200)
  const items = json<{ items: Passkey[] }>(listed).items
  t.equal(items.length, 1)
  t.not(items[0]?.last_used_at, null, 'last_used_at is set by the login')
  const stored = await app.db.selectFrom('passkeys').select(['counter', 'credential_id']).executeTakeFirstOrThrow()
  t.equal(Number(stored.counter), 1, 'the signature counter is kept')
  t.equal(stored.credential_id, authenticator.id)

  // J1: every change and use in the durable trail, the change's row written with it.
  const audit = await app.db.selectFrom('audit_events').select(['type', 'outcome', 'actor_id']).where('type', 'like', 'passkey_%').orderBy('at').execute()
  t.match(audit, [{ type: 'passkey_register', outcome: 'success', actor_id: user.id }, { type: 'passkey_rename', outcome: 'success' }, { type: 'passkey_login', outcome: 'success', actor_id: user.id }])
  t.equal(auditEvents(built.logs, 'passkey_login').length, 1, 'H1: and logged')

  const other = await registerAndLogin(app, 'pk-other')
  t.equal((await app.inject({ method: 'GET', url: '/auth/passkeys', headers: bearer(other.tokens.access_token) })).body, '{"items":[]}', 'E1: nobody else sees it')
  t.equal((await app.inject({ method: 'PATCH', url: `/auth/passkeys/${passkey.id}`, headers: bearer(other.tokens.access_token), payload: { name: 'mine' } })).statusCode, 404)
})

t.test('K6: EdDSA and RS256 credentials are accepted too', async (t) => {
  const { app } = await buildTestApp(t)
  for (const alg of ['EdDSA', 'RS256'] as const) {
    const user = await registerAndLogin(app, alg.toLowerCase())
    const authenticator = newAuthenticator(alg)
    await enrolPasskey(app, user.tokens.access_token, authenticator)
    const response = await passkeyLogin(app, authenticator)
    t.equal(response.statusCode, 200, `${alg}: enrolled and logged in`)
    t.equal(claimsOf(json<Tokens>(response).access_token).sub, user.id)
  }
})

onEachDatabase(t, 'K5/I1: deleting a passkey needs step-up, ends every session, and the passkey logs in no more', async (t, databaseUrl) => {
  const { app } = await buildTestApp(t, { DATABASE_URL: databaseUrl })
  const user = await registerAndLogin(app, 'pkdel')
  const authenticator = newAuthenticator()
  const id = await enrolPasskey(app, user.tokens.access_token, authenticator)
  const passkeySession = json<Tokens>(await passkeyLogin(app, authenticator))

  // A token whose authentication is an hour old: valid, but not recent enough (RFC 9470).
  const stale = app.accessTokens.issue({ userId: user.id, username: user.username, roles: ['user'], sessionId: sessionIdOf(user.tokens), authentication: { amr: ['pwd'], acr: 'urn:secure-api:acr:password', authTime: new Date(Date.now() - 3600_000) } })
  for (const [method, url] of [['DELETE', `/auth/passkeys/${id}`], ['POST', '/auth/passkeys/registration/options']] as const) {
    const refused = await app.inject({ method, url, headers: bearer(stale) })
    t.equal(refused.statusCode, 401, `${method} ${url}: an old authentication is refused`)
    t.match(refused.headers['www-authenticate'], /error="insufficient_user_authentication".*max_age=300/)
  }
  t.equal((await app.inject({ method: 'GET', url: '/auth/passkeys', headers: bearer(stale) })).statusCode, 200, 'listing needs no step-up')

  const other = await registerAndLogin(app, 'pkdel-other')
  t.equal((await app.inject({ method: 'DELETE', url: `/auth/passkeys/${id}`, headers: bearer(other.tokens.access_token) })).statusCode, 404, 'E1: not yours, 404')
  t.equal((await app.inject({ method: 'DELETE', url: '/auth/passkeys/not-a-uuid', headers: bearer(user.tokens.access_token) })).statusCode, 404, 'a malformed id is 404 like a missing one')

  const deleted = await app.inject({ method: 'DELETE', url: `/auth/passkeys/${id}`, headers: bearer(user.tokens.access_token) })
  t.equal(deleted.statusCode, 204)
  t.equal((await getProtected(app, user.tokens.access_token)).statusCode, 401, 'this session ended')
  t.equal((await getProtected(app, passkeySession.access_token)).statusCode, 401, 'the passkey\'s session ended too')
  t.equal((await app.inject({ method: 'POST', url: '/auth/refresh', payload: { refresh_token: passkeySession.refresh_token } })).statusCode, 401)
  t.equal((await passkeyLogin(app, authenticator)).statusCode, 401, 'the deleted passkey logs in no more')
  const row = await app.db.selectFrom('audit_events').select(['outcome', 'details']).where('type', '=', 'passkey_delete').where('outcome', '=', 'success').executeTakeFirstOrThrow()
  t.match(JSON.parse(row.details), { passkey_id: id, sessions_ended: 2 }, 'J1: audited with the change')
})

t.test('I5: an account keeps at most 20 passkeys; the 21st is 403 quota-exceeded', async (t) => {
  const { app } = await buildTestApp(t)
  const user = await registerAndLogin(app, 'pkquota')
  for (let index = 0; index < 20; index++) await enrolPasskey(app, user.tokens.access_token, newAuthenticator())
  const options = await registrationOptions(app, user.tokens.access_token)
  const response = await submitRegistration(app, user.tokens.access_token, { response: newAuthenticator().register(options) })
  t.equal(response.statusCode, 403)
  t.equal(json(response).type, 'urn:secure-api:problem:quota-exceeded')
  t.equal(json<{ items: unknown[] }>(await app.inject({ method: 'GET', url: '/auth/passkeys', headers: bearer(user.tokens.access_token) })).items.length, 20)
})
