import { randomUUID } from 'node:crypto'
import type { LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { passkeyOptionsForUser, relyingParty, verifyPasskeyOfUser } from '../../src/auth/passkeys.js'
import { runPrune } from '../../src/jobs/prune.js'
import { buildTestApp, json } from '../helpers/app.js'
import { onEachDatabase } from '../helpers/databases.js'
import { enrolPasskey, loginOptions, type CreationOptions, newAuthenticator, passkeyLogin, registrationOptions, submitLogin, submitRegistration } from '../helpers/passkeys.js'
import { PausePoint } from '../helpers/pause-point.js'
import { createAdmin, getProtected } from '../helpers/sessions.js'
import { bearer, registerAndLogin, type Tokens } from '../helpers/users.js'
import type { SoftwareAuthenticator } from '../helpers/webauthn-authenticator.js'

/**
 * K6 from outside the process: every way a passkey ceremony can be wrong is refused with a
 * 400 or 401 problem, never a 5xx, never telling which it was (the audit trail does), on
 * SQLite and PostgreSQL.
 */
const GENEROUS = { LOGIN_FREE_FAILURES: '100', LOGIN_LOCK_THRESHOLD: '100' }

function problemShape (response: LightMyRequestResponse): Record<string, unknown> {
  const { instance: _instance, request_id: _requestId, ...rest } = json(response)
  return { ...rest, contentType: response.headers['content-type'], wwwAuthenticate: response.headers['www-authenticate'] }
}

onEachDatabase(t, 'K6: refused passkey logins are one 401, audited with the reason', async (t, databaseUrl) => {
  const { app } = await buildTestApp(t, { DATABASE_URL: databaseUrl, ...GENEROUS })
  const alice = await registerAndLogin(app, 'alice')
  const bob = await registerAndLogin(app, 'bob')
  const carol = await registerAndLogin(app, 'carol')
  const a = newAuthenticator()
  const b = newAuthenticator()
  const c = newAuthenticator()
  await enrolPasskey(app, alice.tokens.access_token, a)
  await enrolPasskey(app, bob.tokens.access_token, b)
  await enrolPasskey(app, carol.tokens.access_token, c)
  t.equal((await passkeyLogin(app, a)).statusCode, 200, 'alice\'s passkey works to begin with')

  const refusals: Array<[string, () => Promise<LightMyRequestResponse>]> = [
    ['a replayed challenge', async () => {
      const options = await loginOptions(app)
      const body = { challenge_id: options.challenge_id, response: a.assert(options) }
      const first = await submitLogin(app, body)
      t.equal(first.statusCode, 200, 'the first use of the challenge signs in')
      return await submitLogin(app, body)
    }],
    ['an expired challenge', async () => {
      const options = await loginOptions(app)
      await app.db.updateTable('webauthn_challenges').set({ expires_at: new Date(Date.now() - 1000).toISOString() }).where('id', '=', options.challenge_id).execute()
      return await submitLogin(app, { challenge_id: options.challenge_id, response: a.assert(options) })
    }],
    ['a wrong origin', async () => await passkeyLogin(app, a, { origin: 'http://localhost:3001' })],
    ['a look-alike origin', async () => await passkeyLogin(app, a, { origin: 'https://localhost.evil.example' })],
    ['a wrong RP ID', async () => await passkeyLogin(app, a, { rpId: 'evil.example' })],
    ['no user verification', async () => await passkeyLogin(app, a, { userVerified: false })],
    ['an unknown credential', async () => {
      const stranger = newAuthenticator()
      stranger.userHandle = a.userHandle
      return await passkeyLogin(app, stranger)
    }],
    ['another user\'s credential (user handle of bob)', async () => await passkeyLogin(app, a, { userHandle: b.userHandle ?? '' })],
    ['a counter that goes backwards', async () => await passkeyLogin(app, a, { counter: 1 })],
    ['a counter that stands still', async () => {
      const counter = Number((await app.db.selectFrom('passkeys').select('counter').where('credential_id', '=', a.id).executeTakeFirstOrThrow()).counter)
      return await passkeyLogin(app, a, { counter })
    }],
    ['the challenge of other options', async () => {
      const one = await loginOptions(app)
      const other = await loginOptions(app)
      return await submitLogin(app, { challenge_id: other.challenge_id, response: a.assert(one) })
    }],
    ['a registration challenge', async () => {
      const options = await registrationOptions(app, alice.tokens.access_token)
      return await submitLogin(app, { challenge_id: randomUUID(), response: a.assert(options) })
    }],
    ['a challenge never issued', async () => await submitLogin(app, { challenge_id: randomUUID(), response: a.assert({ challenge: 'bm90LWlzc3VlZA' }) })],
    ['a creation instead of an assertion', async () => await passkeyLogin(app, a, { type: 'webauthn.create' })],
    ['a signature of other data', async () => {
      const options = await loginOptions(app)
      const response = a.assert(options)
      response.response.signature = a.assert(await loginOptions(app)).response.signature
      return await submitLogin(app, { challenge_id: options.challenge_id, response })
    }],
    ['client data that is not JSON', async () => {
      const options = await loginOptions(app)
      const response = a.assert(options)
      response.response.clientDataJSON = Buffer.from('not json').toString('base64url')
      return await submitLogin(app, { challenge_id: options.challenge_id, response })
    }],
    ['authenticator data that is junk', async () => {
      const options = await loginOptions(app)
      const response = a.assert(options)
      response.response.authenticatorData = 'AAAA'
      return await submitLogin(app, { challenge_id: options.challenge_id, response })
    }],
    ['id and rawId that differ', async () => {
      const options = await loginOptions(app)
      const response = a.assert(options)
      response.rawId = b.id
      return await submitLogin(app, { challenge_id: options.challenge_id, response })
    }],
    ['a disabled account', async () => {
      const admin = await createAdmin(app)
      const disabled = await app.inject({ method: 'PATCH', url: `/admin/users/${carol.id}`, headers: bearer(admin.tokens.access_token), payload: { disabled: true } })
      t.equal(disabled.statusCode, 200)
      return await passkeyLogin(app, c)
    }]
  ]

  let reference: Record<string, unknown> | undefined
  for (const [name, attempt] of refusals) {
    const response = await attempt()
    t.equal(response.statusCode, 401, `${name}: 401`)
    const shape = problemShape(response)
    reference ??= shape
    t.same(shape, reference, `${name}: the same problem as every other refusal`)
  }
  t.match(reference, { type: 'urn:secure-api:problem:passkey-refused', status: 401, contentType: /application\/problem\+json/, wwwAuthenticate: /^Bearer realm=/ })

  const failures = await app.db.selectFrom('audit_events').select('details').where('type', '=', 'passkey_login').where('outcome', '=', 'failure').execute()
  t.equal(failures.length, refusals.length, 'J1: every refusal is in the audit trail')
  const reasons = new Set(failures.map((row) => String((JSON.parse(row.details) as { reason: string }).reason)))
  for (const reason of ['unknown, used or expired challenge', 'assertion not verified', 'unknown credential', 'user handle mismatch', 'malformed client data', 'disabled']) {
    t.ok(reasons.has(reason), `the trail says which: ${reason}`)
  }
  t.equal((await passkeyLogin(app, a)).statusCode, 200, 'after all that, alice\'s passkey still works')
  t.equal((await passkeyLogin(app, b)).statusCode, 200, 'and bob\'s')
})

onEachDatabase(t, 'K6: refused passkey registrations are 400 (409 for a credential already registered), never 5xx', async (t, databaseUrl) => {
  const { app } = await buildTestApp(t, { DATABASE_URL: databaseUrl })
  const alice = await registerAndLogin(app, 'alice')
  const bob = await registerAndLogin(app, 'bob')
  const token = alice.tokens.access_token
  type Tweak = (authenticator: SoftwareAuthenticator, options: CreationOptions) => Record<string, unknown>
  const register = async (tweak: Tweak): Promise<LightMyRequestResponse> => {
    const options = await registrationOptions(app, token)
    return await submitRegistration(app, token, tweak(newAuthenticator(), options))
  }
  const cases: Array<[string, () => Promise<LightMyRequestResponse>]> = [
    ['a wrong origin', async () => await register((authenticator, options) => ({ response: authenticator.register(options, { origin: 'http://localhost:3001' }) }))],
    ['a wrong RP ID', async () => await register((authenticator, options) => ({ response: authenticator.register(options, { rpId: 'evil.example' }) }))],
    ['no user verification', async () => await register((authenticator, options) => ({ response: authenticator.register(options, { userVerified: false }) }))],
    ['a challenge never issued', async () => await register((authenticator, options) => ({ response: authenticator.register(options, { challenge: 'bm90LWlzc3VlZA' }) }))],
    ['an assertion type', async () => await register((authenticator, options) => ({ response: authenticator.register(options, { type: 'webauthn.get' }) }))],
    ['another user\'s challenge', async () => {
      const options = await registrationOptions(app, bob.tokens.access_token)
      return await submitRegistration(app, token, { response: newAuthenticator().register(options) })
    }],
    ['a used challenge', async () => {
      const options = await registrationOptions(app, token)
      t.equal((await submitRegistration(app, token, { response: newAuthenticator().register(options) })).statusCode, 201, 'its first use registers')
      return await submitRegistration(app, token, { response: newAuthenticator().register(options) })
    }],
    ['an expired challenge', async () => {
      const options = await registrationOptions(app, token)
      await app.db.updateTable('webauthn_challenges').set({ expires_at: new Date(Date.now() - 1000).toISOString() }).where('challenge', '=', options.challenge).execute()
      return await submitRegistration(app, token, { response: newAuthenticator().register(options) })
    }],
    ['a login challenge', async () => {
      const options = await loginOptions(app)
      return await submitRegistration(app, token, { response: newAuthenticator().register({ challenge: options.challenge, user: { id: 'eA' } }) })
    }],
    ['an attestation object that is junk', async () => await register((authenticator, options) => {
      const response = authenticator.register(options)
      response.response.attestationObject = Buffer.from('junk that is not CBOR').toString('base64url')
      return { response }
    })],
    ['client data that is not JSON', async () => await register((authenticator, options) => {
      const response = authenticator.register(options)
      response.response.clientDataJSON = 'bm90IGpzb24'
      return { response }
    })]
  ]
  for (const [name, attempt] of cases) {
    const response = await attempt()
    t.equal(response.statusCode, 400, `${name}: 400`)
    t.match(json(response), { type: 'urn:secure-api:problem:validation-error', errors: [{ pointer: '/response' }] }, `${name}: names the response, not the library's reason`)
  }
  t.equal(json<{ items: unknown[] }>(await app.inject({ method: 'GET', url: '/auth/passkeys', headers: bearer(token) })).items.length, 1, 'only the one good registration was stored')

  // K6: credential ids are unique, across accounts too.
  const owned = newAuthenticator()
  await enrolPasskey(app, token, owned)
  for (const [who, accessToken] of [['the same account', token], ['another account', bob.tokens.access_token]] as const) {
    const options = await registrationOptions(app, accessToken)
    const duplicate = await submitRegistration(app, accessToken, { response: owned.register(options) })
    t.equal(duplicate.statusCode, 409, `a credential already registered, again by ${who}: 409`)
    t.equal(json(duplicate).type, 'urn:secure-api:problem:passkey-exists')
  }
  t.equal(Number((await app.db.selectFrom('passkeys').select((eb) => eb.fn.countAll().as('n')).where('credential_id', '=', owned.id).executeTakeFirstOrThrow()).n), 1)

  const invalid = await submitRegistration(app, token, { response: { id: 'x' } })
  t.equal(invalid.statusCode, 400, 'a body that is not a RegistrationResponseJSON: 400')
  const oversized = await submitRegistration(app, token, { response: { ...owned.register({ challenge: 'eA', user: { id: 'eA' } }), id: 'A'.repeat(2000) } })
  t.equal(oversized.statusCode, 400, 'strings are bounded')
  const failures = await app.db.selectFrom('audit_events').select('outcome').where('type', '=', 'passkey_register').where('outcome', '=', 'failure').execute()
  t.equal(failures.length, cases.length + 2, 'J1: every refused registration (and both duplicates) is audited')
})

onEachDatabase(t, 'D6: passkey logins are throttled per credential; a throttled attempt is 429 with Retry-After', async (t, databaseUrl) => {
  const { app } = await buildTestApp(t, { DATABASE_URL: databaseUrl, LOGIN_FREE_FAILURES: '2', LOGIN_LOCK_THRESHOLD: '100' })
  const alice = await registerAndLogin(app, 'alice')
  const a = newAuthenticator()
  await enrolPasskey(app, alice.tokens.access_token, a)
  for (let attempt = 0; attempt < 2; attempt++) t.equal((await passkeyLogin(app, a, { userVerified: false })).statusCode, 401, `failure ${attempt + 1}: 401`)
  const throttled = await passkeyLogin(app, a)
  t.equal(throttled.statusCode, 429, 'past the free failures, even a good assertion waits')
  t.ok(Number(throttled.headers['retry-after']) >= 1, 'Retry-After')
  t.equal(json(throttled).type, 'urn:secure-api:problem:rate-limited')
  const other = newAuthenticator()
  const bob = await registerAndLogin(app, 'bob')
  await enrolPasskey(app, bob.tokens.access_token, other)
  t.equal((await passkeyLogin(app, other)).statusCode, 200, 'another credential is not held back')
  const denied = await app.db.selectFrom('audit_events').select('details').where('type', '=', 'passkey_login').where('outcome', '=', 'denied').execute()
  t.equal(denied.length, 1, 'H1: the throttled attempt is audited')
})

onEachDatabase(t, 'the MFA and reauthentication building blocks: a challenge bound to one user, their credential only', async (t, databaseUrl) => {
  const { app } = await buildTestApp(t, { DATABASE_URL: databaseUrl })
  const rp = relyingParty(app.config)
  const alice = await registerAndLogin(app, 'alice')
  const bob = await registerAndLogin(app, 'bob')
  const a = newAuthenticator()
  const b = newAuthenticator()
  const passkeyId = await enrolPasskey(app, alice.tokens.access_token, a)
  await enrolPasskey(app, bob.tokens.access_token, b)

  const options = await passkeyOptionsForUser(app.db, rp, alice.id, new Date())
  t.same(options.allowCredentials?.map((descriptor) => descriptor.id), [a.id], 'allowCredentials: alice\'s passkeys only')
  t.equal(options.userVerification, 'preferred')
  t.equal(await verifyPasskeyOfUser(app.db, rp, alice.id, b.assert(options), new Date()), null, 'bob\'s credential on alice\'s challenge: refused')
  const next = await passkeyOptionsForUser(app.db, rp, alice.id, new Date())
  t.equal(await verifyPasskeyOfUser(app.db, rp, bob.id, b.assert(next), new Date()), null, 'alice\'s challenge for bob: refused')
  const assertion = a.assert(next, { userVerified: false })
  t.same(await verifyPasskeyOfUser(app.db, rp, alice.id, assertion, new Date()), { passkeyId, userVerified: false }, 'the challenge was not spent by the foreign attempt; presence alone suffices for a second factor')
  t.equal(await verifyPasskeyOfUser(app.db, rp, alice.id, assertion, new Date()), null, 'replayed: refused')
  const late = await passkeyOptionsForUser(app.db, rp, alice.id, new Date())
  t.equal(await verifyPasskeyOfUser(app.db, rp, alice.id, a.assert(late), new Date(Date.now() + 301_000)), null, 'after 5 minutes: refused')
  const loginChallenge = await loginOptions(app)
  t.equal(await verifyPasskeyOfUser(app.db, rp, alice.id, a.assert(loginChallenge), new Date()), null, 'a challenge bound to nobody: refused')
})

onEachDatabase(t, 'I1: a passkey login verified while the passkey is deleted yields no session', async (t, databaseUrl) => {
  const pause = new PausePoint()
  const { app } = await buildTestApp(t, { DATABASE_URL: databaseUrl }, { testHooks: { afterPasskeyVerified: pause.hook } })
  const alice = await registerAndLogin(app, 'alice')
  const a = newAuthenticator()
  const id = await enrolPasskey(app, alice.tokens.access_token, a)
  const paused = pause.arm()
  const racing = passkeyLogin(app, a)
  await paused.reached
  const deleted = await app.inject({ method: 'DELETE', url: `/auth/passkeys/${id}`, headers: bearer(alice.tokens.access_token) })
  t.equal(deleted.statusCode, 204, 'the deletion completes while the login waits')
  paused.release()
  const raced = await racing
  t.equal(raced.statusCode, 401, 'the raced login is refused')
  const sessions = await app.db.selectFrom('sessions').select('id').where('user_id', '=', alice.id).where('revoked_at', 'is', null).execute()
  t.same(sessions, [], 'and no live session exists')
  if (raced.statusCode === 200) t.equal((await getProtected(app, json<Tokens>(raced).access_token)).statusCode, 401)
})

t.test('I5: expired challenges are pruned', async (t) => {
  const { app } = await buildTestApp(t, { PRUNE_INTERVAL: '0' })
  await loginOptions(app)
  await loginOptions(app)
  const counts = await runPrune(app.db, app.database.dialect, { accessTokenTtlSeconds: 900, auditRetentionDays: 365 }, new Date(Date.now() + 301_000))
  t.match(counts, { webauthnChallenges: 2 })
  t.same(await app.db.selectFrom('webauthn_challenges').select('id').execute(), [])
})
