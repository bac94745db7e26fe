import t from 'tap'
import { createHash } from 'node:crypto'
import { rotateRefreshToken } from '../../../src/repositories/sessions.js'
import { generateRefreshToken } from '../../../src/security/refresh-tokens.js'
import { buildTestApp, json } from '../../helpers/app.js'
import { onEachDatabase } from '../../helpers/databases.js'
import { auditEvents, claimsOf, getProtected, refresh, sessionIdOf } from '../../helpers/sessions.js'
import { login, registerAndLogin, type Tokens } from '../../helpers/users.js'

const past = (): string => new Date(Date.now() - 1000).toISOString()

onEachDatabase(t, 'C2: a refresh rotates the refresh token and the old one fails', async (t, databaseUrl) => {
  const { app } = await buildTestApp(t, { DATABASE_URL: databaseUrl })
  const { tokens } = await registerAndLogin(app)
  const first = await refresh(app, tokens.refresh_token)
  t.equal(first.statusCode, 200)
  t.match(first.headers['cache-control'], /no-store/, 'B5: refresh responses are not cached')
  const next = json<Tokens>(first)
  t.equal(next.token_type, 'Bearer')
  t.not(next.refresh_token, tokens.refresh_token, 'a new refresh token')
  t.match(next.refresh_token, /^[A-Za-z0-9_-]{43}$/)
  t.not(next.access_token, tokens.access_token, 'a new access token')
  t.equal(sessionIdOf(next), sessionIdOf(tokens), 'the same session')
  t.equal((await getProtected(app, next.access_token)).statusCode, 200)

  const again = await refresh(app, next.refresh_token)
  t.equal(again.statusCode, 200, 'the new refresh token works once')

  const old = await refresh(app, tokens.refresh_token)
  t.equal(old.statusCode, 401, 'the rotated token fails')
  t.equal(json(old).type, 'urn:secure-api:problem:invalid-refresh-token')
  t.match(old.headers['content-type'], /application\/problem\+json/)
  t.match(old.headers['www-authenticate'], /^Bearer realm="secure-api", error="invalid_token"/)
})

onEachDatabase(t, 'C3: reuse of a rotated refresh token ends the whole session', async (t, databaseUrl) => {
  const built = await buildTestApp(t, { DATABASE_URL: databaseUrl })
  const { app } = built
  const user = await registerAndLogin(app)
  const other = await login(app, user.username)
  const first = json<Tokens>(await refresh(app, user.tokens.refresh_token))
  const second = json<Tokens>(await refresh(app, first.refresh_token))
  t.equal((await getProtected(app, second.access_token)).statusCode, 200)

  const replay = await refresh(app, first.refresh_token)
  t.equal(replay.statusCode, 401, 'the replayed token is refused')
  t.equal((await refresh(app, second.refresh_token)).statusCode, 401, 'the newest refresh token of the session is dead')
  for (const token of [user.tokens.access_token, first.access_token, second.access_token]) {
    const response = await getProtected(app, token)
    t.equal(response.statusCode, 401, 'every access token of the session is dead')
    t.match(response.headers['www-authenticate'], /error="invalid_token"/)
  }
  t.equal((await getProtected(app, other.access_token)).statusCode, 200, 'another session of the user lives on')
  t.equal((await refresh(app, other.refresh_token)).statusCode, 200)

  const detected = auditEvents(built.logs, 'refresh_reuse_detected')
  t.equal(detected.length, 1, 'H1: one reuse event')
  t.match(detected[0], { outcome: 'detected', user_id: user.id, session_id: sessionIdOf(user.tokens), ip: String, request_id: String, at: /Z$/ })
  const row = await app.db.selectFrom('sessions').select(['revoked_at', 'revoked_reason']).where('id', '=', sessionIdOf(user.tokens)).executeTakeFirstOrThrow()
  t.equal(row.revoked_reason, 'refresh_token_reuse')
})

onEachDatabase(t, 'C4: of 20 concurrent refreshes with one token exactly one succeeds', async (t, databaseUrl) => {
  const { app } = await buildTestApp(t, { DATABASE_URL: databaseUrl })
  const { tokens } = await registerAndLogin(app)
  const responses = await Promise.all(Array.from({ length: 20 }, async () => await refresh(app, tokens.refresh_token)))
  const statuses = responses.map((response) => response.statusCode)
  t.equal(statuses.filter((status) => status === 200).length, 1, 'exactly one 200')
  t.equal(statuses.filter((status) => status === 401).length, 19, 'the others 401, never 5xx')
  const rows = await app.db.selectFrom('refresh_tokens').select('rotated_at').where('session_id', '=', sessionIdOf(tokens)).execute()
  t.equal(rows.length, 2, 'only one successor token was ever stored')
  // The losers are replays of a used token, so the session is ended: the winner cannot go on either.
  const winner = json<Tokens>(responses.find((response) => response.statusCode === 200) ?? responses[0]!)
  t.equal((await refresh(app, winner.refresh_token)).statusCode, 401)
})

onEachDatabase(t, 'C4: 20 interleaved rotations of one token in one process: exactly one wins', async (t, databaseUrl) => {
  // Called directly, the 20 rotations interleave at every await (each read queues behind the
  // others on SQLite's single connection), which HTTP requests on one SQLite process never do.
  const { app } = await buildTestApp(t, { DATABASE_URL: databaseUrl })
  const { tokens } = await registerAndLogin(app)
  const lifetimes = { absoluteSeconds: 3600, idleSeconds: 600 }
  const results = await Promise.all(Array.from({ length: 20 }, async () => await rotateRefreshToken(app.db, tokens.refresh_token, lifetimes, { userAgent: null, ip: null })))
  t.equal(results.filter((result) => result.outcome === 'rotated').length, 1, 'exactly one rotation')
  t.equal(results.filter((result) => result.outcome === 'reused').length, 19, 'every other caller is told it replayed a used token')
})

onEachDatabase(t, 'C5: absolute and idle limits end a session', async (t, databaseUrl) => {
  const { app } = await buildTestApp(t, { DATABASE_URL: databaseUrl, REFRESH_TOKEN_TTL: '3600', REFRESH_TOKEN_IDLE_TTL: '600' })
  const db = app.db
  const user = await registerAndLogin(app)
  const sid = sessionIdOf(user.tokens)
  t.ok(user.tokens.refresh_token_expires_in >= 598 && user.tokens.refresh_token_expires_in <= 600, 'the refresh token lives until the idle limit')
  const created = await db.selectFrom('sessions').selectAll().where('id', '=', sid).executeTakeFirstOrThrow()
  t.equal(Date.parse(created.expires_at) - Date.parse(created.created_at), 3600_000, 'absolute end = REFRESH_TOKEN_TTL')
  t.equal(Date.parse(created.idle_expires_at) - Date.parse(created.created_at), 600_000, 'idle end = REFRESH_TOKEN_IDLE_TTL')

  // A refresh moves the idle end but never the absolute one.
  const soon = new Date(Date.now() + 300_000).toISOString()
  await db.updateTable('sessions').set({ expires_at: soon }).where('id', '=', sid).execute()
  const refreshed = json<Tokens>(await refresh(app, user.tokens.refresh_token))
  const after = await db.selectFrom('sessions').selectAll().where('id', '=', sid).executeTakeFirstOrThrow()
  t.equal(after.expires_at, soon, 'the absolute end is never extended')
  t.equal(after.idle_expires_at, soon, 'the idle end is capped by the absolute end')
  t.ok(refreshed.refresh_token_expires_in <= 300 && refreshed.refresh_token_expires_in >= 298)

  await db.updateTable('sessions').set({ expires_at: past() }).where('id', '=', sid).execute()
  t.equal((await refresh(app, refreshed.refresh_token)).statusCode, 401, 'past the absolute lifetime')

  const idle = await login(app, user.username)
  const idleRefreshed = json<Tokens>(await refresh(app, idle.refresh_token))
  await db.updateTable('sessions').set({ idle_expires_at: past() }).where('id', '=', sessionIdOf(idle)).execute()
  t.equal((await refresh(app, idleRefreshed.refresh_token)).statusCode, 401, 'past the idle limit')
  const sessions = await app.inject({ method: 'GET', url: '/auth/sessions', headers: { authorization: `Bearer ${user.tokens.access_token}` } })
  t.equal(sessions.statusCode, 200)
  t.same(json<{ items: unknown[] }>(sessions).items, [], 'expired sessions are not listed as live')
})

t.test('C1: refresh tokens are 256-bit, distinct, and stored only as a hash', async (t) => {
  const issued = new Set(Array.from({ length: 1000 }, () => generateRefreshToken()))
  t.equal(issued.size, 1000, '1,000 tokens, all distinct')
  for (const token of issued) {
    if (Buffer.from(token, 'base64url').length !== 32) t.fail('a token is not 32 random bytes')
  }
  const { app } = await buildTestApp(t)
  const { tokens } = await registerAndLogin(app)
  const next = json<Tokens>(await refresh(app, tokens.refresh_token))
  const rows = await app.db.selectFrom('refresh_tokens').selectAll().execute()
  const stored = JSON.stringify(rows)
  for (const token of [tokens.refresh_token, next.refresh_token]) {
    t.notOk(stored.includes(token), 'the token itself is not stored')
    t.ok(rows.some((row) => row.token_hash === createHash('sha256').update(token).digest('base64url')), 'its SHA-256 is')
  }
})

t.test('E5: roles come fresh from the database at each refresh; a disabled user cannot refresh', async (t) => {
  const built = await buildTestApp(t)
  const { app } = built
  const user = await registerAndLogin(app)
  t.same(claimsOf(user.tokens.access_token).roles, ['user'])
  await app.db.updateTable('users').set({ roles: JSON.stringify(['user', 'admin']) }).where('id', '=', user.id).execute()
  const promoted = json<Tokens>(await refresh(app, user.tokens.refresh_token))
  t.same(claimsOf(promoted.access_token).roles, ['user', 'admin'], 'the new access token carries the new role')

  await app.db.updateTable('users').set({ disabled: 1 }).where('id', '=', user.id).execute()
  const refused = await refresh(app, promoted.refresh_token)
  t.equal(refused.statusCode, 401, 'A10: a disabled user cannot refresh')
  t.equal(json(refused).type, 'urn:secure-api:problem:invalid-refresh-token', 'the same answer as any bad refresh token')
  t.equal((await getProtected(app, promoted.access_token)).statusCode, 401, 'and the session\'s access tokens die with it')

  const success = auditEvents(built.logs, 'refresh').filter((event) => event.outcome === 'success')
  t.equal(success.length, 1, 'H1: the refresh is audited')
  t.match(success[0], { user_id: user.id, username: user.username, session_id: sessionIdOf(user.tokens), ip: String, request_id: String, at: /Z$/ })
  t.ok(auditEvents(built.logs, 'refresh').some((event) => event.outcome === 'failure' && event.reason === 'user disabled'))
})

t.test('refresh refuses malformed bodies, unknown tokens and access tokens', async (t) => {
  const { app, rawLogs } = await buildTestApp(t)
  const { tokens } = await registerAndLogin(app)
  const extra = await app.inject({ method: 'POST', url: '/auth/refresh', payload: { refresh_token: tokens.refresh_token, session_id: 'x' } })
  t.equal(extra.statusCode, 400, 'unknown properties are refused')
  t.equal((await app.inject({ method: 'POST', url: '/auth/refresh', payload: {} })).statusCode, 400)
  t.equal((await app.inject({ method: 'POST', url: '/auth/refresh', payload: { refresh_token: 'x'.repeat(513) } })).statusCode, 400)
  t.equal((await refresh(app, generateRefreshToken())).statusCode, 401, 'an unknown token')
  const accessAsRefresh = await refresh(app, tokens.access_token)
  t.ok(accessAsRefresh.statusCode === 400 || accessAsRefresh.statusCode === 401, 'A7: an access token is not a refresh token')
  t.equal((await refresh(app, tokens.refresh_token)).statusCode, 200, 'failed attempts did not touch the real token')
  t.notOk(rawLogs().includes(tokens.refresh_token), 'H2: the refresh token never reaches a log line')
})
