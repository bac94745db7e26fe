import t from 'tap'
import { randomUUID } from 'node:crypto'
import { buildTestApp, json } from '../../helpers/app.js'
import { onEachDatabase } from '../../helpers/databases.js'
import { auditEvents, getProtected, refresh, sessionIdOf } from '../../helpers/sessions.js'
import { bearer, login, registerAndLogin, type Tokens } from '../../helpers/users.js'

interface SessionItem {
  id: string
  created_at: string
  last_used_at: string
  expires_at: string
  user_agent: string | null
  ip: string | null
  current: boolean
}

async function listSessions (app: Awaited<ReturnType<typeof buildTestApp>>['app'], accessToken: string): Promise<SessionItem[]> {
  const response = await app.inject({ method: 'GET', url: '/auth/sessions', headers: bearer(accessToken) })
  if (response.statusCode !== 200) throw new Error(`list failed: ${response.statusCode}`)
  return json<{ items: SessionItem[] }>(response).items
}

onEachDatabase(t, 'C6: a user lists their live sessions, exactly one of them current', async (t, databaseUrl) => {
  const { app } = await buildTestApp(t, { DATABASE_URL: databaseUrl })
  const user = await registerAndLogin(app)
  const phone = await login(app, user.username, undefined, { 'user-agent': 'PhoneApp/1.0' })
  const stranger = await registerAndLogin(app, 'stranger')

  const items = await listSessions(app, phone.access_token)
  t.equal(items.length, 2, 'only this user\'s sessions')
  t.same(items.map((item) => item.id).sort(), [sessionIdOf(user.tokens), sessionIdOf(phone)].sort())
  t.notOk(items.some((item) => item.id === sessionIdOf(stranger.tokens)), 'never another user\'s')
  t.equal(items.filter((item) => item.current).length, 1, 'exactly one is current')
  const current = items.find((item) => item.current)
  t.equal(current?.id, sessionIdOf(phone))
  t.equal(current?.user_agent, 'PhoneApp/1.0')
  t.equal(current?.ip, '127.0.0.1')
  t.equal(items[0]?.id, sessionIdOf(phone), 'newest first')
  for (const item of items) {
    t.same(Object.keys(item).sort(), ['created_at', 'current', 'expires_at', 'id', 'ip', 'last_used_at', 'user_agent'], 'E4: exactly the Session fields')
    t.ok(Date.parse(item.expires_at) > Date.parse(item.created_at))
  }

  const before = items.find((item) => item.id === sessionIdOf(user.tokens))
  const refreshed = json<Tokens>(await refresh(app, user.tokens.refresh_token))
  const after = (await listSessions(app, refreshed.access_token)).find((item) => item.current)
  t.equal(after?.id, before?.id, 'a refresh keeps the session')
  t.ok(after !== undefined && before !== undefined && after.last_used_at >= before.last_used_at, 'and moves last_used_at')
})

onEachDatabase(t, 'C6: a user ends one of their sessions; another user\'s session answers 404', async (t, databaseUrl) => {
  const built = await buildTestApp(t, { DATABASE_URL: databaseUrl })
  const { app } = built
  const user = await registerAndLogin(app)
  const laptop = await login(app, user.username)
  const stranger = await registerAndLogin(app, 'stranger')

  const foreign = await app.inject({ method: 'DELETE', url: `/auth/sessions/${sessionIdOf(stranger.tokens)}`, headers: bearer(user.tokens.access_token) })
  t.equal(foreign.statusCode, 404, 'E1: someone else\'s session is not found')
  t.equal(json(foreign).type, 'urn:secure-api:problem:not-found')
  t.equal((await getProtected(app, stranger.tokens.access_token)).statusCode, 200, 'and stays alive')
  t.equal((await app.inject({ method: 'DELETE', url: `/auth/sessions/${randomUUID()}`, headers: bearer(user.tokens.access_token) })).statusCode, 404, 'an unknown id is 404')
  t.equal((await app.inject({ method: 'DELETE', url: '/auth/sessions/not-a-uuid', headers: bearer(user.tokens.access_token) })).statusCode, 404, 'a malformed id names no session')

  const ended = await app.inject({ method: 'DELETE', url: `/auth/sessions/${sessionIdOf(laptop)}`, headers: bearer(user.tokens.access_token) })
  t.equal(ended.statusCode, 204)
  t.equal((await getProtected(app, laptop.access_token)).statusCode, 401, 'the ended session\'s access token dies at once')
  t.equal((await refresh(app, laptop.refresh_token)).statusCode, 401, 'and its refresh token')
  t.equal((await getProtected(app, user.tokens.access_token)).statusCode, 200, 'the caller\'s own session lives on')
  t.same((await listSessions(app, user.tokens.access_token)).map((item) => item.id), [sessionIdOf(user.tokens)])
  t.equal((await app.inject({ method: 'DELETE', url: `/auth/sessions/${sessionIdOf(laptop)}`, headers: bearer(user.tokens.access_token) })).statusCode, 404, 'an ended session is gone')

  const own = await app.inject({ method: 'DELETE', url: `/auth/sessions/${sessionIdOf(user.tokens)}`, headers: bearer(user.tokens.access_token) })
  t.equal(own.statusCode, 204, 'ending the current session works like logout')
  t.equal((await getProtected(app, user.tokens.access_token)).statusCode, 401)

  const events = auditEvents(built.logs, 'session_end')
  t.equal(events.filter((event) => event.outcome === 'success').length, 2, 'H1: ended sessions are audited')
  t.match(events.find((event) => event.outcome === 'success'), { user_id: user.id, session_id: sessionIdOf(laptop), ip: String, request_id: String, at: /Z$/ })
})

t.test('C7: a new login starts a new session and leaves the old one as it was', async (t) => {
  const { app } = await buildTestApp(t)
  const user = await registerAndLogin(app)
  const sid = sessionIdOf(user.tokens)
  const before = await app.db.selectFrom('sessions').selectAll().where('id', '=', sid).executeTakeFirstOrThrow()
  await new Promise((resolve) => setTimeout(resolve, 20))
  const again = await login(app, user.username)
  t.not(sessionIdOf(again), sid, 'a new sid')
  const after = await app.db.selectFrom('sessions').selectAll().where('id', '=', sid).executeTakeFirstOrThrow()
  t.same(after, before, 'the old session row is unchanged: not extended, not revoked')
  t.equal((await refresh(app, user.tokens.refresh_token)).statusCode, 200, 'the old session still refreshes')
  t.equal((await refresh(app, again.refresh_token)).statusCode, 200, 'and so does the new one')
})

t.test('sessions routes need a bearer token', async (t) => {
  const { app } = await buildTestApp(t)
  t.equal((await app.inject({ method: 'GET', url: '/auth/sessions' })).statusCode, 401)
  t.equal((await app.inject({ method: 'DELETE', url: `/auth/sessions/${randomUUID()}` })).statusCode, 401)
})
