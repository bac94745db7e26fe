import t from 'tap'
import { buildTestApp, json } from '../helpers/app.js'
import { onEachDatabase } from '../helpers/databases.js'
import { claimsOf, loginToChallenge } from '../helpers/mfa.js'
import { enrolPasskey, newAuthenticator } from '../helpers/passkeys.js'
import { bearer, registerAndLogin, type Tokens } from '../helpers/users.js'

onEachDatabase(t, 'K3/K6: a passkey is a second factor of a password login, and a step-up proof', async (t, databaseUrl) => {
  const { app } = await buildTestApp(t, { DATABASE_URL: databaseUrl })
  const alice = await registerAndLogin(app, 'pk2fa')
  const bob = await registerAndLogin(app, 'pk2fb')
  const aliceKey = newAuthenticator()
  const bobKey = newAuthenticator()
  const passkeyId = await enrolPasskey(app, alice.tokens.access_token, aliceKey)
  await enrolPasskey(app, bob.tokens.access_token, bobKey)

  const challenge = await loginToChallenge(app, alice.username, alice.password)
  t.same(challenge.methods, ['webauthn'], 'a passkey alone makes the password insufficient; no recovery codes were issued yet')
  const options = await app.inject({ method: 'POST', url: '/auth/mfa/webauthn/options', payload: { mfa_token: challenge.mfa_token } })
  t.equal(options.statusCode, 200)
  const requestOptions = json<{ challenge: string, allowCredentials: Array<{ id: string }> }>(options)
  t.equal(requestOptions.allowCredentials.length, 1, 'limited to alice\'s own passkeys')
  t.equal((await app.inject({ method: 'POST', url: '/auth/mfa/webauthn/options', payload: { mfa_token: 'not-a-token' } })).statusCode, 401)

  // Bob's authenticator over alice's challenge: refused, and the challenge is spent.
  const foreign = await app.inject({ method: 'POST', url: '/auth/mfa/verify', payload: { mfa_token: challenge.mfa_token, webauthn: bobKey.assert(requestOptions) } })
  t.equal(foreign.statusCode, 401, 'another user\'s passkey')
  const fresh = json<{ challenge: string }>(await app.inject({ method: 'POST', url: '/auth/mfa/webauthn/options', payload: { mfa_token: challenge.mfa_token } }))
  const assertion = aliceKey.assert(fresh)
  const done = await app.inject({ method: 'POST', url: '/auth/mfa/verify', payload: { mfa_token: challenge.mfa_token, webauthn: assertion } })
  t.equal(done.statusCode, 200)
  const claims = claimsOf(json<Tokens>(done).access_token)
  t.same(claims.amr, ['pwd', 'hwk', 'user', 'mfa'], 'K4: password and hardware key, user verified')
  t.equal(claims.acr, 'urn:secure-api:acr:mfa')

  // The same assertion again (a fresh password step): its challenge is spent.
  const again = await loginToChallenge(app, alice.username, alice.password)
  t.equal((await app.inject({ method: 'POST', url: '/auth/mfa/verify', payload: { mfa_token: again.mfa_token, webauthn: assertion } })).statusCode, 401, 'a replayed assertion')

  // Step-up with the passkey, and the factor list shows it.
  const tokens = json<Tokens>(done)
  const stepOptions = json<{ challenge: string }>(await app.inject({ method: 'POST', url: '/auth/reauthenticate/webauthn-options', headers: bearer(tokens.access_token) }))
  const stepped = await app.inject({ method: 'POST', url: '/auth/reauthenticate', headers: bearer(tokens.access_token), payload: { webauthn: aliceKey.assert(stepOptions) } })
  t.equal(stepped.statusCode, 200)
  const factors = json<{ items: Array<{ id: string, type: string }> }>(await app.inject({ method: 'GET', url: '/auth/mfa/factors', headers: bearer(json<Tokens>(stepped).access_token) }))
  t.same(factors.items.map((item) => [item.id, item.type]), [[passkeyId, 'webauthn']])
  const codes = await app.inject({ method: 'POST', url: '/auth/mfa/recovery-codes', headers: bearer(json<Tokens>(stepped).access_token) })
  t.equal(codes.statusCode, 200, 'a passkey is enough of a factor for recovery codes')

  // Removing the passkey through the factor API ends the sessions, and the password works alone again.
  const removed = await app.inject({ method: 'DELETE', url: `/auth/mfa/factors/${passkeyId}`, headers: bearer(json<Tokens>(stepped).access_token) })
  t.equal(removed.statusCode, 204)
  t.equal((await app.inject({ method: 'GET', url: '/protected', headers: bearer(json<Tokens>(stepped).access_token) })).statusCode, 401, 'every session ended')
  const plain = json(await app.inject({ method: 'POST', url: '/auth/login', payload: { username: alice.username, password: alice.password } }))
  t.ok(plain.access_token, 'no factor left: the password alone signs in')
  t.equal(await app.db.selectFrom('recovery_codes').select('id').where('user_id', '=', alice.id).execute().then((rows) => rows.length), 0, 'and the recovery codes went with the last factor')
})
