import t from 'tap'
import { randomUUID } from 'node:crypto'
import { buildTestApp, json } from '../../helpers/app.js'
import { onEachDatabase } from '../../helpers/databases.js'
import { auditEvents, claimsOf, createAdmin, getProtected, refresh } from '../../helpers/sessions.js'
import { bearer, login, registerAndLogin, registerUser, STRONG_PASSWORD, type RegisteredUser, type Tokens } from '../../helpers/users.js'

interface AdminUser {
  id: string
  username: string
  roles: string[]
  created_at: string
  disabled: boolean
  last_login_at: string | null
}

interface Page {
  items: AdminUser[]
  next_cursor: string | null
}

t.test('E2: every admin operation answers 401 without a token and 403 to a user', async (t) => {
  const { app } = await buildTestApp(t)
  const user = await registerAndLogin(app)
  const operations = [
    { method: 'GET' as const, url: '/admin/users' },
    { method: 'PATCH' as const, url: `/admin/users/${user.id}`, payload: { disabled: true } },
    { method: 'DELETE' as const, url: `/admin/users/${user.id}/sessions` }
  ]
  for (const operation of operations) {
    const anonymous = await app.inject(operation)
    t.equal(anonymous.statusCode, 401, `${operation.method} ${operation.url} without a token`)
    t.equal(anonymous.headers['www-authenticate'], 'Bearer realm="secure-api"')
    t.match(anonymous.headers['content-type'], /application\/problem\+json/)
    const asUser = await app.inject({ ...operation, headers: bearer(user.tokens.access_token) })
    t.equal(asUser.statusCode, 403, `${operation.method} ${operation.url} as a user`)
    t.match(asUser.headers['www-authenticate'], /error="insufficient_scope"/)
    t.equal(json(asUser).status, 403)
  }
  const row = await app.db.selectFrom('users').select(['disabled']).where('id', '=', user.id).executeTakeFirstOrThrow()
  t.equal(row.disabled, 0, 'the forbidden PATCH changed nothing')
  t.equal((await getProtected(app, user.tokens.access_token)).statusCode, 200, 'the forbidden DELETE ended nothing')
})

onEachDatabase(t, 'GET /admin/users pages through every account with an opaque cursor', async (t, databaseUrl) => {
  const built = await buildTestApp(t, { DATABASE_URL: databaseUrl })
  const { app } = built
  const admin = await createAdmin(app)
  const users: RegisteredUser[] = []
  for (let i = 0; i < 6; i++) users.push(await registerUser(app))
  // Ties on created_at must not lose or repeat anyone: the cursor also carries the id.
  const same = new Date().toISOString()
  await app.db.updateTable('users').set({ created_at: same }).where('id', 'in', users.slice(1, 5).map((user) => user.id)).execute()

  const seen: AdminUser[] = []
  let cursor: string | null = null
  let pages = 0
  do {
    const url: string = cursor === null ? '/admin/users?limit=2' : `/admin/users?limit=2&cursor=${encodeURIComponent(cursor)}`
    const response = await app.inject({ method: 'GET', url, headers: bearer(admin.tokens.access_token) })
    t.equal(response.statusCode, 200)
    const page = json<Page>(response)
    t.ok(page.items.length <= 2)
    seen.push(...page.items)
    cursor = page.next_cursor
    pages++
  } while (cursor !== null && pages < 10)
  t.equal(pages, 4, '7 accounts in pages of 2')
  t.equal(seen.length, 7, 'every account once')
  t.equal(new Set(seen.map((user) => user.id)).size, 7, 'no repeats')
  t.same(new Set(seen.map((user) => user.id)), new Set([admin.id, ...users.map((user) => user.id)]))
  for (const user of seen) {
    t.same(Object.keys(user).sort(), ['created_at', 'disabled', 'email', 'email_verified', 'id', 'last_login_at', 'roles', 'username'], 'E4: exactly the AdminUser fields')
  }
  t.match(seen.find((user) => user.id === admin.id), { roles: ['user', 'admin'], disabled: false, last_login_at: /Z$/ })
  t.match(seen.find((user) => user.id === users[0]?.id), { roles: ['user'], last_login_at: null })

  const all = json<Page>(await app.inject({ method: 'GET', url: '/admin/users', headers: bearer(admin.tokens.access_token) }))
  t.equal(all.items.length, 7, 'default limit 20')
  t.equal(all.next_cursor, null)
  t.notOk(JSON.stringify(all).includes('argon2'), 'E4: no password hash')

  for (const query of ['limit=0', 'limit=101', 'limit=abc', 'cursor=bm9wZQ', 'cursor=', 'sort=username']) {
    const response = await app.inject({ method: 'GET', url: `/admin/users?${query}`, headers: bearer(admin.tokens.access_token) })
    t.equal(response.statusCode, 400, `?${query} is refused`)
  }
})

onEachDatabase(t, 'A10, C6: disabling a user ends their sessions at once and refuses their logins', async (t, databaseUrl) => {
  const built = await buildTestApp(t, { DATABASE_URL: databaseUrl })
  const { app } = built
  const admin = await createAdmin(app)
  const user = await registerAndLogin(app)
  const second = await login(app, user.username)

  const response = await app.inject({ method: 'PATCH', url: `/admin/users/${user.id}`, headers: bearer(admin.tokens.access_token), payload: { disabled: true } })
  t.equal(response.statusCode, 200)
  t.match(json<AdminUser>(response), { id: user.id, username: user.username, disabled: true, roles: ['user'] })
  for (const tokens of [user.tokens, second]) {
    t.equal((await getProtected(app, tokens.access_token)).statusCode, 401, 'access tokens die at once')
    t.equal((await refresh(app, tokens.refresh_token)).statusCode, 401, 'refresh tokens die')
  }
  const refused = await app.inject({ method: 'POST', url: '/auth/login', payload: { username: user.username, password: STRONG_PASSWORD } })
  t.equal(refused.statusCode, 401, 'a disabled user cannot log in')

  const enabled = await app.inject({ method: 'PATCH', url: `/admin/users/${user.id}`, headers: bearer(admin.tokens.access_token), payload: { disabled: false } })
  t.equal(json<AdminUser>(enabled).disabled, false)
  const back = await login(app, user.username)
  t.equal((await getProtected(app, back.access_token)).statusCode, 200, 're-enabled, they log in again')

  const events = auditEvents(built.logs, 'admin_user_update')
  t.equal(events.length, 2, 'H1: admin actions are audited')
  t.match(events[0], { outcome: 'success', user_id: admin.id, target_user_id: user.id, changes: { disabled: true }, sessions_ended: 2, ip: String, request_id: String, at: /Z$/ })
})

t.test('E5: a granted role arrives at the next refresh; a removed one ends the sessions at once', async (t) => {
  const { app } = await buildTestApp(t)
  const admin = await createAdmin(app)
  const user = await registerAndLogin(app)

  const granted = await app.inject({ method: 'PATCH', url: `/admin/users/${user.id}`, headers: bearer(admin.tokens.access_token), payload: { roles: ['user', 'admin'] } })
  t.equal(granted.statusCode, 200)
  t.same(json<AdminUser>(granted).roles, ['user', 'admin'])
  t.equal((await app.inject({ method: 'GET', url: '/admin/users', headers: bearer(user.tokens.access_token) })).statusCode, 403, 'the old token still carries the old roles')
  const promoted = json<Tokens>(await refresh(app, user.tokens.refresh_token))
  t.same(claimsOf(promoted.access_token).roles, ['user', 'admin'])
  t.equal((await app.inject({ method: 'GET', url: '/admin/users', headers: bearer(promoted.access_token) })).statusCode, 200, 'after a refresh the new role works')

  const demoted = await app.inject({ method: 'PATCH', url: `/admin/users/${user.id}`, headers: bearer(admin.tokens.access_token), payload: { roles: ['user'] } })
  t.equal(demoted.statusCode, 200)
  t.equal((await app.inject({ method: 'GET', url: '/admin/users', headers: bearer(promoted.access_token) })).statusCode, 401, 'a demotion takes effect at once')
  t.equal((await refresh(app, promoted.refresh_token)).statusCode, 401)
  const relogged = await login(app, user.username)
  t.same(claimsOf(relogged.access_token).roles, ['user'])
})

t.test('an admin cannot demote or disable themselves; bad bodies and unknown users are refused', async (t) => {
  const { app } = await buildTestApp(t)
  const admin = await createAdmin(app)
  const user = await registerUser(app)
  const headers = bearer(admin.tokens.access_token)

  for (const payload of [{ roles: ['user'] }, { disabled: true }, { roles: ['user', 'admin'], disabled: true }]) {
    const response = await app.inject({ method: 'PATCH', url: `/admin/users/${admin.id}`, headers, payload })
    t.equal(response.statusCode, 409, `self ${JSON.stringify(payload)} is refused`)
    t.equal(json(response).type, 'urn:secure-api:problem:cannot-demote-self')
  }
  const row = await app.db.selectFrom('users').select(['roles', 'disabled']).where('id', '=', admin.id).executeTakeFirstOrThrow()
  t.same(JSON.parse(row.roles), ['user', 'admin'], 'still an admin')
  t.equal(row.disabled, 0)
  t.equal((await app.inject({ method: 'GET', url: '/admin/users', headers })).statusCode, 200, 'and still working')
  t.equal((await app.inject({ method: 'PATCH', url: `/admin/users/${admin.id}`, headers, payload: { roles: ['admin', 'user'] } })).statusCode, 200, 'keeping the admin role is fine')

  for (const payload of [{}, { roles: [] }, { roles: ['root'] }, { roles: ['user', 'user'] }, { disabled: 'yes' }, { username: 'renamed' }, { id: randomUUID() }, { password_hash: 'x' }, { created_at: '2020-01-01T00:00:00.000Z' }]) {
    const response = await app.inject({ method: 'PATCH', url: `/admin/users/${user.id}`, headers, payload })
    t.equal(response.statusCode, 400, `E3: ${JSON.stringify(payload)} is refused`)
  }
  const untouched = await app.db.selectFrom('users').selectAll().where('id', '=', user.id).executeTakeFirstOrThrow()
  t.equal(untouched.username, user.username)
  t.equal(untouched.roles, '["user"]')

  t.equal((await app.inject({ method: 'PATCH', url: `/admin/users/${randomUUID()}`, headers, payload: { disabled: true } })).statusCode, 404)
  t.equal((await app.inject({ method: 'PATCH', url: '/admin/users/not-a-uuid', headers, payload: { disabled: true } })).statusCode, 404, 'a malformed id names no user')
})

onEachDatabase(t, 'C6: DELETE /admin/users/{id}/sessions ends every session of the user', async (t, databaseUrl) => {
  const built = await buildTestApp(t, { DATABASE_URL: databaseUrl })
  const { app } = built
  const admin = await createAdmin(app)
  const user = await registerAndLogin(app)
  const second = await login(app, user.username)
  const bystander = await registerAndLogin(app, 'bystander')

  const response = await app.inject({ method: 'DELETE', url: `/admin/users/${user.id}/sessions`, headers: bearer(admin.tokens.access_token) })
  t.equal(response.statusCode, 204)
  t.equal(response.body, '')
  for (const tokens of [user.tokens, second]) {
    t.equal((await getProtected(app, tokens.access_token)).statusCode, 401, 'access tokens die at once')
    t.equal((await refresh(app, tokens.refresh_token)).statusCode, 401, 'refresh tokens die')
  }
  t.equal((await getProtected(app, bystander.tokens.access_token)).statusCode, 200, 'other users are untouched')
  t.equal((await getProtected(app, admin.tokens.access_token)).statusCode, 200)
  const again = await login(app, user.username)
  t.equal((await getProtected(app, again.access_token)).statusCode, 200, 'the account itself still works')

  t.equal((await app.inject({ method: 'DELETE', url: `/admin/users/${randomUUID()}/sessions`, headers: bearer(admin.tokens.access_token) })).statusCode, 404, 'unknown user')
  const events = auditEvents(built.logs, 'admin_end_sessions')
  t.equal(events.length, 1, 'H1: audited')
  t.match(events[0], { outcome: 'success', user_id: admin.id, target_user_id: user.id, sessions_ended: 2, ip: String, request_id: String, at: /Z$/ })
})

t.test('GET /admin/users refuses a cursor it did not issue with a 400 pointing at it', async (t) => {
  const { app } = await buildTestApp(t)
  const admin = await createAdmin(app)
  const response = await app.inject({ method: 'GET', url: '/admin/users?cursor=bm90LWEtY3Vyc29y', headers: bearer(admin.tokens.access_token) })
  t.equal(response.statusCode, 400)
  t.match(json(response), { status: 400, errors: [{ pointer: '/cursor', location: 'query' }] })
})
