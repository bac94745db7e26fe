import t from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { buildTestApp, json } from '../helpers/app.js'
import { bearer, login, registerUser, STRONG_PASSWORD, uniqueUsername } from '../helpers/users.js'

/**
 * Headers that differ between any two requests, whatever the account:
 * - date: the clock;
 * - x-request-id: a new id per request (it is also in the body as request_id);
 * - ratelimit-* / x-ratelimit-* / retry-after: the per-client route limiter's running count,
 *   which every request (of any outcome) moves on.
 * Every other header must be identical, value and order.
 */
const PER_REQUEST_HEADERS = /^(date|x-request-id|ratelimit-.*|x-ratelimit-.*|retry-after)$/

function stableHeaders (response: LightMyRequestResponse): Array<[string, unknown]> {
  return Object.entries(response.headers).filter(([name]) => !PER_REQUEST_HEADERS.test(name))
}

/** The body text with this response's own request id blanked: everything else byte for byte. */
function bodyWithoutRequestId (response: LightMyRequestResponse): string {
  const id = json(response).request_id
  if (typeof id !== 'string' || id.length === 0) throw new Error('no request_id in the problem')
  return response.body.split(id).join('<request-id>')
}

t.test('D1: a disabled account\'s 401 is byte-identical to a wrong password\'s and an unknown user\'s', async (t) => {
  const { app } = await buildTestApp(t)
  const adminUser = await registerUser(app, uniqueUsername('admin'))
  await app.db.updateTable('users').set({ roles: JSON.stringify(['user', 'admin']) }).where('id', '=', adminUser.id).execute()
  const admin = await login(app, adminUser.username)
  const disabledUser = await registerUser(app, uniqueUsername('disabled'))
  const wrongUser = await registerUser(app, uniqueUsername('wrong'))
  const patched = await app.inject({ method: 'PATCH', url: `/admin/users/${disabledUser.id}`, payload: { disabled: true }, headers: bearer(admin.access_token) })
  t.equal(patched.statusCode, 200, 'an administrator disables the account')

  const attempt = async (username: string, password: string): Promise<LightMyRequestResponse> =>
    await app.inject({ method: 'POST', url: '/auth/login', payload: { username, password } })
  const disabled = await attempt(disabledUser.username, STRONG_PASSWORD)
  const wrong = await attempt(wrongUser.username, 'not-the-password-at-all')
  const unknown = await attempt(uniqueUsername('ghost'), STRONG_PASSWORD)
  const answers = { disabled, wrong, unknown }

  for (const [name, response] of Object.entries(answers)) {
    t.equal(response.statusCode, 401, `${name}: 401`)
    t.equal(response.statusMessage, wrong.statusMessage, `${name}: same status line`)
    t.match(response.headers['content-type'], /^application\/problem\+json/, `${name}: a problem`)
    t.equal(typeof response.headers['x-request-id'], 'string', `${name}: has its own request id`)
  }
  t.ok(Object.keys(wrong.headers).some((name) => name === 'www-authenticate'), 'the compared headers include WWW-Authenticate')
  for (const [name, response] of Object.entries({ disabled, unknown })) {
    t.same(stableHeaders(response), stableHeaders(wrong), `D1: ${name}: the same headers, values and order, as a wrong password`)
    const body = json(response)
    const reference = json(wrong)
    t.same(Object.keys(body), Object.keys(reference), `D1: ${name}: the same body keys in the same order`)
    for (const key of Object.keys(reference)) {
      if (key === 'request_id') continue
      t.same(body[key], reference[key], `D1: ${name}: the same ${key}`)
    }
    t.equal(body.instance, reference.instance, `D1: ${name}: instance is equal too (same URL)`)
    const stripped = (value: Record<string, unknown>): string => JSON.stringify({ ...value, request_id: undefined })
    t.equal(stripped(body), stripped(reference), `D1: ${name}: JSON equal but for request_id`)
    t.equal(bodyWithoutRequestId(response), bodyWithoutRequestId(wrong), `D1: ${name}: the body is byte-identical but for request_id`)
  }
  // Not vacuous: the account is really disabled, and its password really is right.
  await app.db.updateTable('users').set({ disabled: 0 }).where('id', '=', disabledUser.id).execute()
  t.equal((await attempt(disabledUser.username, STRONG_PASSWORD)).statusCode, 200, 'the same attempt succeeds once the account is enabled')
})
