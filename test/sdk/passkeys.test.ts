import type { AddressInfo } from 'node:net'
import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { newAuthenticator } from '../helpers/passkeys.js'
import { claimsOf } from '../helpers/sessions.js'
import { STRONG_PASSWORD, uniqueUsername } from '../helpers/users.js'
import { ApiProblemError, createSecureApiClient, unwrap } from '../../sdk/index.js'

t.test('SDK: enrol a passkey, then log in with it alone (the browser ceremony passed in)', async (t) => {
  const { app } = await buildTestApp(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  const username = uniqueUsername('sdkpk')
  const api = createSecureApiClient({ baseUrl })
  unwrap(await api.POST('/auth/register', { body: { username, password: STRONG_PASSWORD } }))
  await api.login({ username, password: STRONG_PASSWORD })

  // Stands in for @simplewebauthn/browser's startRegistration / startAuthentication.
  const authenticator = newAuthenticator()
  const passkey = await api.enrolPasskey(async (options) => await Promise.resolve(authenticator.register(options)), 'Laptop')
  t.match(passkey, { name: 'Laptop', last_used_at: null })
  await api.logout()

  const fresh = createSecureApiClient({ baseUrl })
  const tokens = await fresh.loginWithPasskey(async (options) => {
    t.equal(options.userVerification, 'required', 'typed options for a discoverable login')
    t.notOk('challenge_id' in options, 'the challenge_id stays with the SDK')
    return await Promise.resolve(authenticator.assert(options))
  })
  t.same(claimsOf(tokens.access_token).amr, ['hwk', 'user'])
  t.equal((await fresh.tokens.get())?.access_token, tokens.access_token, 'the tokens are stored')
  const mine = unwrap(await fresh.GET('/protected'))
  t.equal(mine.user.username, username, 'and used')

  const refused = await fresh.loginWithPasskey(async (options) => await Promise.resolve(authenticator.assert(options, { userVerified: false }))).catch((error: unknown) => error)
  t.ok(refused instanceof ApiProblemError && refused.status === 401 && refused.problem.type === 'urn:secure-api:problem:passkey-refused', 'a refusal is an ApiProblemError')
})
