import type { AddressInfo } from 'node:net'
import t from 'tap'
import { buildTestApp, tempDir } from '../helpers/app.js'
import { outboxMessages, settle } from '../helpers/recovery.js'
import { createAdmin } from '../helpers/sessions.js'
import { STRONG_PASSWORD, uniqueUsername } from '../helpers/users.js'
import {
  ApiProblemError, createSecureApiClient, issuePasswordReset, requestEmailChange, requestPasswordReset, resetPassword, tokenFromLink, unwrap, verifyEmail
} from '../../sdk/index.js'

const NEW_PASSWORD = 'sdk-chosen-new-passphrase-9'

t.test('SDK: email confirmation and password reset through the helpers, links read from the outbox', async (t) => {
  const outbox = `${tempDir(t)}/outbox`
  const { app } = await buildTestApp(t, { MAIL_OUTBOX_DIR: outbox, PUBLIC_URL: 'https://app.example.test' })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  const api = createSecureApiClient({ baseUrl })
  const username = uniqueUsername('sdk')
  unwrap(await api.POST('/auth/register', { body: { username, password: STRONG_PASSWORD } }))
  await api.login({ username, password: STRONG_PASSWORD })

  await requestEmailChange(api, 'sdk@example.test')
  await settle(app)
  const link = /https:\/\/\S+/.exec(outboxMessages(outbox)[0]?.text ?? '')?.[0] ?? ''
  const user = await verifyEmail(api, tokenFromLink(link))
  t.match(user, { username, email: 'sdk@example.test', email_verified: true })

  await requestPasswordReset(api, 'sdk@example.test')
  await requestPasswordReset(api, 'nobody@example.test')
  await settle(app)
  const resetLink = /https:\/\/\S+/.exec(outboxMessages(outbox).find((message) => message.subject === 'Reset your password')?.text ?? '')?.[0] ?? ''
  await resetPassword(api, tokenFromLink(resetLink), NEW_PASSWORD)
  const fresh = createSecureApiClient({ baseUrl })
  t.equal((await fresh.login({ username, password: NEW_PASSWORD })).token_type, 'Bearer', 'the new password logs in')
  try {
    await resetPassword(api, tokenFromLink(resetLink), NEW_PASSWORD)
    t.fail('a used token must be refused')
  } catch (error) {
    t.ok(error instanceof ApiProblemError && error.status === 400 && error.problem.type === 'urn:secure-api:problem:invalid-reset-token', 'a used token: the 400 problem')
  }

  const admin = await createAdmin(app)
  const adminApi = createSecureApiClient({ baseUrl, accessToken: () => admin.tokens.access_token })
  const handover = await issuePasswordReset(adminApi, user.id)
  t.match(handover, { reset_token: /^[A-Za-z0-9_-]{43}$/, expires_at: String })
  t.throws(() => tokenFromLink('https://app.example.test/reset-password'), /no token/)
})
