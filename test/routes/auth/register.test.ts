import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { buildTestApp, json } from '../../helpers/app.js'
import { onEachDatabase } from '../../helpers/databases.js'
import { STRONG_PASSWORD, uniqueUsername } from '../../helpers/users.js'

interface Problem { status: number, type: string, errors?: Array<{ pointer: string, message: string }> }

async function register (app: FastifyInstance, username: string, password: string): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'POST', url: '/auth/register', payload: { username, password } })
}

async function loginStatus (app: FastifyInstance, username: string, password: string): Promise<number> {
  return (await app.inject({ method: 'POST', url: '/auth/login', payload: { username, password } })).statusCode
}

function passwordErrors (response: LightMyRequestResponse): string[] {
  return (json<Problem>(response).errors ?? []).filter((error) => error.pointer === '/password').map((error) => error.message)
}

onEachDatabase(t, 'E4: 201 User with exactly the public fields, nothing about the password', async (t, databaseUrl) => {
  const { app } = await buildTestApp(t, { DATABASE_URL: databaseUrl })
  const username = uniqueUsername('Ada')
  const response = await register(app, username, STRONG_PASSWORD)
  t.equal(response.statusCode, 201)
  t.match(response.headers['content-type'], /application\/json/)
  const user = json(response)
  t.same(Object.keys(user).sort(), ['created_at', 'email', 'email_verified', 'id', 'roles', 'username'])
  t.equal(user.username, username, 'the username keeps its case')
  t.same(user.roles, ['user'])
  t.match(user.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'a random UUID')
  t.match(user.created_at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/, 'RFC 3339 UTC')
  t.notMatch(response.body, /argon2|password|hash/i)
})

onEachDatabase(t, '409 when the username is taken, compared case-insensitively', async (t, databaseUrl) => {
  const { app } = await buildTestApp(t, { DATABASE_URL: databaseUrl })
  const username = uniqueUsername('Grace.Hopper')
  t.equal((await register(app, username, STRONG_PASSWORD)).statusCode, 201)
  for (const variant of [username, username.toLowerCase(), username.toUpperCase()]) {
    const again = await register(app, variant, 'another-long-passphrase-here')
    t.equal(again.statusCode, 409, `${variant} is taken`)
    t.match(again.headers['content-type'], /application\/problem\+json/)
  }
  t.equal(await loginStatus(app, username, 'another-long-passphrase-here'), 401, 'the first account is untouched')
  t.equal(await loginStatus(app, username, STRONG_PASSWORD), 200)
})

t.test('403 problem when REGISTRATION=closed, and no account is made', async (t) => {
  const { app } = await buildTestApp(t, { REGISTRATION: 'closed' })
  const username = uniqueUsername()
  const response = await register(app, username, STRONG_PASSWORD)
  t.equal(response.statusCode, 403)
  t.match(response.headers['content-type'], /application\/problem\+json/)
  t.equal(json<Problem>(response).status, 403)
  t.equal(await loginStatus(app, username, STRONG_PASSWORD), 401)
})

t.test('D4: minimum length 15 by default, counted in characters; PASSWORD_MIN_LENGTH is honoured', async (t) => {
  const { app } = await buildTestApp(t)
  const short = await register(app, uniqueUsername(), 'fourteen-chars')
  t.equal(short.statusCode, 400)
  t.match(passwordErrors(short).join(), /at least 15/)
  t.equal((await register(app, uniqueUsername(), 'fifteen-chars!!')).statusCode, 201)

  const strict = await buildTestApp(t, { PASSWORD_MIN_LENGTH: '20' })
  t.equal((await register(strict.app, uniqueUsername(), 'nineteen-characters')).statusCode, 400)
  t.equal((await register(strict.app, uniqueUsername(), 'twenty-characters-ok')).statusCode, 201)

  const lenient = await buildTestApp(t, { PASSWORD_MIN_LENGTH: '8' })
  t.equal((await register(lenient.app, uniqueUsername(), 'zq7-vbn!')).statusCode, 201, 'never below 8, but 8 is allowed')
})

t.test('D4: 64 and 128 characters are accepted, 129 refused', async (t) => {
  const { app } = await buildTestApp(t)
  const words = 'violet-harbor-tundra-sprocket-'
  const of = (length: number): string => words.repeat(10).slice(0, length)
  for (const length of [64, 128]) {
    const username = uniqueUsername()
    t.equal((await register(app, username, of(length))).statusCode, 201, `${length} accepted`)
    t.equal(await loginStatus(app, username, of(length)), 200, `${length}: no truncation on login`)
    t.equal(await loginStatus(app, username, of(length - 1)), 401, `${length}: a prefix is not the password`)
  }
  const tooLong = await register(app, uniqueUsername(), of(129))
  t.equal(tooLong.statusCode, 400)
  t.ok(passwordErrors(tooLong).length > 0, 'the error points at /password')
})

t.test('D4: any Unicode, counted in code points and compared exactly (no trim, no normalisation)', async (t) => {
  const { app } = await buildTestApp(t)
  const emoji = '🔐🌋🦜🎻🧭🪐🍄🛶🧊🎲🪁🦔🌵🫖🧿'
  t.equal([...emoji].length, 15)
  const emojiUser = uniqueUsername()
  t.equal((await register(app, emojiUser, emoji)).statusCode, 201, '15 emoji (30 UTF-16 units) accepted')
  t.equal(await loginStatus(app, emojiUser, emoji), 200)
  t.equal((await register(app, uniqueUsername(), '🔐'.repeat(128))).statusCode, 201, '128 emoji are 128 characters')
  t.equal((await register(app, uniqueUsername(), '🔐'.repeat(129))).statusCode, 400, '129 emoji are too many')
  t.equal((await register(app, uniqueUsername(), '🔐'.repeat(7))).statusCode, 400, '7 emoji are 14 UTF-16 units but 7 characters: too short')

  const cjk = '春眠不覺曉處處聞啼鳥夜來風雨聲花落知多少'
  const cjkUser = uniqueUsername()
  t.equal((await register(app, cjkUser, cjk)).statusCode, 201, 'CJK accepted')
  t.equal(await loginStatus(app, cjkUser, cjk), 200)

  const composed = 'café-au-lait-crème-brûlée'.normalize('NFC')
  const decomposed = composed.normalize('NFD')
  t.not(composed, decomposed)
  const accentUser = uniqueUsername()
  t.equal((await register(app, accentUser, composed)).statusCode, 201)
  t.equal(await loginStatus(app, accentUser, composed), 200)
  t.equal(await loginStatus(app, accentUser, decomposed), 401, 'an NFD variant is a different password')

  const spaced = '  correct horse battery staple  '
  const spaceUser = uniqueUsername()
  t.equal((await register(app, spaceUser, spaced)).statusCode, 201)
  t.equal(await loginStatus(app, spaceUser, spaced), 200, 'spaces at the ends are part of it')
  t.equal(await loginStatus(app, spaceUser, spaced.trim()), 401, 'the trimmed variant is not the password')
})

t.test('D4: common and breached passwords are refused, whatever their case', async (t) => {
  const { app } = await buildTestApp(t)
  for (const password of ['1qaz2wsx3edc4rfv', 'passwordpassword', 'PasswordPassword', '123456789qwerty']) {
    const response = await register(app, uniqueUsername(), password)
    t.equal(response.statusCode, 400, `${password} refused`)
    t.match(passwordErrors(response).join(), /common|breached/)
  }
})

t.test('D4: a password containing the username is refused, in any case', async (t) => {
  const { app } = await buildTestApp(t)
  const response = await register(app, 'ada.lovelace', 'my-ADA.LOVELACE-is-very-long')
  t.equal(response.statusCode, 400)
  t.match(passwordErrors(response).join(), /username/)
  t.equal((await register(app, 'ada.lovelace', 'analytical-engine-notes-1843')).statusCode, 201)
})

t.test('D4: no composition rules: a long all-lowercase passphrase is fine', async (t) => {
  const { app } = await buildTestApp(t)
  t.equal((await register(app, uniqueUsername(), 'correcthorsebatterystaplemoon')).statusCode, 201)
  t.equal((await register(app, uniqueUsername(), 'river otter juniper quartz')).statusCode, 201)
})

t.test('D3: a 1 MB password is refused fast with 413, before any hashing', async (t) => {
  const { app } = await buildTestApp(t)
  const payload = JSON.stringify({ username: uniqueUsername(), password: 'x'.repeat(1024 * 1024) })
  const started = performance.now()
  const response = await app.inject({ method: 'POST', url: '/auth/register', headers: { 'content-type': 'application/json' }, payload })
  const elapsed = performance.now() - started
  t.equal(response.statusCode, 413)
  // The body parser's limit answers, before any handler: no handler, no argon2 (the time bound only
  // catches a hang; it is loose because this 2-core machine runs the suite two files at a time).
  t.match(JSON.parse(response.body), { type: 'urn:secure-api:problem:payload-too-large' })
  t.ok(elapsed < 5000, `answered in ${elapsed.toFixed(0)} ms`)
  // Within the body limit but past 128 characters: refused by the schema, still without argon2.
  const started2 = performance.now()
  const long = await register(app, uniqueUsername(), 'y'.repeat(60_000))
  t.equal(long.statusCode, 400)
  t.ok(performance.now() - started2 < 5000)
  // Login too: 400 from the schema (not 401 from a verify), so no argon2 work was spent on it.
  const loginTooLong = await app.inject({ method: 'POST', url: '/auth/login', payload: { username: uniqueUsername(), password: 'z'.repeat(129) } })
  t.equal(loginTooLong.statusCode, 400)
  t.same(passwordErrors(loginTooLong).length, 1, 'the error points at /password')
})
