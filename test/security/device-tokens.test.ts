import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { buildTestApp, json } from '../helpers/app.js'
import { onEachDatabase } from '../helpers/databases.js'
import { bearer, login, registerUser, STRONG_PASSWORD } from '../helpers/users.js'

const WRONG = 'definitely-not-the-right-password'

interface LoginBody { access_token: string, device_token?: string }

async function attempt (app: FastifyInstance, username: string, password: string, deviceToken?: string, remoteAddress = '198.51.100.7'): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'POST', url: '/auth/login', payload: { username, password, ...(deviceToken === undefined ? {} : { device_token: deviceToken }) }, remoteAddress })
}

/** Three failures lock a username for an hour: the attack below holds for the whole test, however slow the machine. */
const LOCKING = { LOGIN_FREE_FAILURES: '3', LOGIN_LOCK_THRESHOLD: '3' }

onEachDatabase(t, 'I7: the owner with a device token logs in at the first try while the username is under attack', async (t, databaseUrl) => {
  const { app } = await buildTestApp(t, { DATABASE_URL: databaseUrl, ...LOCKING })
  const owner = await registerUser(app)
  const first = json<LoginBody>(await attempt(app, owner.username, STRONG_PASSWORD))
  const deviceToken = first.device_token ?? ''
  t.match(deviceToken, /^[A-Za-z0-9_-]{43}$/, 'a login returns an opaque device token of 256 bits')
  const stored = await app.db.selectFrom('device_tokens').selectAll().execute()
  t.equal(stored.length, 1)
  t.not(stored[0]?.token_hash, deviceToken, 'stored only as a hash')

  // The attack: wrong passwords from elsewhere lock the username.
  for (let i = 0; i < 15; i++) await attempt(app, owner.username, WRONG, undefined, `203.0.113.${i + 1}`)
  t.equal((await attempt(app, owner.username, STRONG_PASSWORD, undefined, '192.0.2.50')).statusCode, 429, 'the username is locked, from any address')
  t.equal((await attempt(app, owner.username, STRONG_PASSWORD)).statusCode, 429, 'anonymous attempts are still refused, the right password too')

  const withDevice = await attempt(app, owner.username, STRONG_PASSWORD, deviceToken)
  t.equal(withDevice.statusCode, 200, 'the owner with their device token gets in at the first try')
  t.equal(json<LoginBody>(withDevice).device_token, deviceToken, 'and keeps the same device token')

  const other = await registerUser(app)
  const othersDevice = json<LoginBody>(await attempt(app, other.username, STRONG_PASSWORD)).device_token ?? ''
  t.equal((await attempt(app, owner.username, STRONG_PASSWORD, othersDevice)).statusCode, 429, 'another account\'s device token counts for nothing')
  t.equal((await attempt(app, owner.username, STRONG_PASSWORD, 'x'.repeat(43))).statusCode, 429, 'nor does a made-up one')

  // The device has its own budget: guesses with a stolen device token are throttled too.
  for (let i = 0; i < 3; i++) t.equal((await attempt(app, owner.username, WRONG, deviceToken)).statusCode, 401)
  t.equal((await attempt(app, owner.username, STRONG_PASSWORD, deviceToken)).statusCode, 429, 'the device\'s budget is spent after its own 3 failures')
})

onEachDatabase(t, 'I7: device tokens are listed, can be deleted, and end with a password change', async (t, databaseUrl) => {
  const { app } = await buildTestApp(t, { DATABASE_URL: databaseUrl, ...LOCKING })
  const owner = await registerUser(app)
  const laptop = json<LoginBody>(await attempt(app, owner.username, STRONG_PASSWORD))
  const phone = json<LoginBody>(await attempt(app, owner.username, STRONG_PASSWORD))
  const listed = await app.inject({ method: 'GET', url: '/auth/devices', headers: bearer(laptop.access_token) })
  t.equal(listed.statusCode, 200)
  const devices = json<{ items: Array<{ id: string }> }>(listed).items
  t.equal(devices.length, 2)
  t.notOk(listed.body.includes(laptop.device_token ?? '-'), 'the token itself is never shown again')

  const stranger = await registerUser(app)
  const strangerTokens = await login(app, stranger.username)
  t.equal((await app.inject({ method: 'DELETE', url: `/auth/devices/${devices[0]?.id ?? ''}`, headers: bearer(strangerTokens.access_token) })).statusCode, 404, 'another user\'s device is not found')
  t.equal((await app.inject({ method: 'DELETE', url: `/auth/devices/${devices[0]?.id ?? ''}`, headers: bearer(laptop.access_token) })).statusCode, 204)
  t.equal(json<{ items: unknown[] }>(await app.inject({ method: 'GET', url: '/auth/devices', headers: bearer(laptop.access_token) })).items.length, 1)

  const changed = await app.inject({ method: 'POST', url: '/auth/password', headers: bearer(phone.access_token), payload: { current_password: STRONG_PASSWORD, new_password: 'velvet-harbour-crossing-92-lantern' } })
  t.equal(changed.statusCode, 204)
  const live = await app.db.selectFrom('device_tokens').select('id').where('user_id', '=', owner.id).where('revoked_at', 'is', null).execute()
  t.equal(live.length, 0, 'a password change ends every device token')
  for (let i = 0; i < 6; i++) await attempt(app, owner.username, WRONG, undefined, `203.0.113.${i + 1}`)
  t.equal((await attempt(app, owner.username, 'velvet-harbour-crossing-92-lantern', phone.device_token)).statusCode, 429, 'an ended device token is anonymous again')
})
