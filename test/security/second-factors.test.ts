import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, json } from '../helpers/app.js'
import { onEachDatabase } from '../helpers/databases.js'
import { claimsOf, codeAt, enrolTotp, loginToChallenge } from '../helpers/mfa.js'
import { currentCode } from '../../src/security/totp.js'
import { bearer, registerAndLogin, type Tokens } from '../helpers/users.js'

async function verify (app: FastifyInstance, payload: Record<string, string>): Promise<{ statusCode: number, body: Record<string, unknown>, headers: Record<string, unknown> }> {
  const response = await app.inject({ method: 'POST', url: '/auth/mfa/verify', payload })
  return { statusCode: response.statusCode, body: json(response), headers: response.headers }
}

onEachDatabase(t, 'K3: with a confirmed factor a password alone yields no tokens; the MFA step does', async (t, databaseUrl) => {
  const { app } = await buildTestApp(t, { DATABASE_URL: databaseUrl })
  const user = await registerAndLogin(app, 'mfa')
  // Before confirmation nothing changes at login.
  const pending = await app.inject({ method: 'POST', url: '/auth/mfa/totp', headers: bearer(user.tokens.access_token) })
  t.equal(pending.statusCode, 201)
  t.match(json(pending), { secret: /^[A-Z2-7]{32}$/, otpauth_uri: /^otpauth:\/\/totp\/.+secret=/ })
  t.equal(pending.headers['cache-control'], 'no-store')
  const before = await app.inject({ method: 'POST', url: '/auth/login', payload: { username: user.username, password: user.password } })
  t.ok(json(before).access_token, 'an unconfirmed factor changes nothing')

  const factor = await enrolTotp(app, user.tokens)
  t.equal(factor.recoveryCodes.length, 10)
  const login = await app.inject({ method: 'POST', url: '/auth/login', payload: { username: user.username, password: user.password } })
  t.equal(login.statusCode, 200)
  const challenge = json(login)
  t.same(Object.keys(challenge).sort(), ['expires_in', 'methods', 'mfa_required', 'mfa_token'], 'no tokens at all')
  t.same(challenge.methods, ['totp', 'recovery_code'])
  t.ok((challenge.expires_in as number) <= 300)
  t.equal(login.headers['cache-control'], 'no-store')
  t.equal((await app.inject({ method: 'GET', url: '/protected', headers: bearer(challenge.mfa_token as string) })).statusCode, 401, 'the mfa_token is no access token')

  const done = await verify(app, { mfa_token: challenge.mfa_token as string, code: codeAt(factor.secret, 0) })
  t.equal(done.statusCode, 200)
  const claims = claimsOf(done.body.access_token as string)
  t.same(claims.amr, ['pwd', 'otp', 'mfa'], 'K4: amr says how')
  t.equal(claims.acr, 'urn:secure-api:acr:mfa')
  t.type(claims.auth_time, 'number')
  t.equal((await app.inject({ method: 'GET', url: '/protected', headers: bearer(done.body.access_token as string) })).statusCode, 200)

  // The mfa_token is single use, even with a fresh valid code.
  t.equal((await verify(app, { mfa_token: challenge.mfa_token as string, code: codeAt(factor.secret, 1) })).statusCode, 401, 'a used mfa_token is refused')
  // A refresh keeps the session's amr, acr and auth_time: it is not an authentication.
  const refreshed = json(await app.inject({ method: 'POST', url: '/auth/refresh', payload: { refresh_token: done.body.refresh_token } }))
  const again = claimsOf(refreshed.access_token as string)
  t.same([again.amr, again.acr, again.auth_time], [claims.amr, claims.acr, claims.auth_time])
})

onEachDatabase(t, 'K1: a TOTP code works once; replays, other users\' tokens and expired tokens answer 401', async (t, databaseUrl) => {
  const { app } = await buildTestApp(t, { DATABASE_URL: databaseUrl })
  const alice = await registerAndLogin(app, 'alice')
  const bob = await registerAndLogin(app, 'bob')
  const aliceFactor = await enrolTotp(app, alice.tokens)
  const bobFactor = await enrolTotp(app, bob.tokens)

  // The confirmation code (step -1) cannot be replayed at login.
  const first = await loginToChallenge(app, alice.username, alice.password)
  const replayOfConfirm = await verify(app, { mfa_token: first.mfa_token, code: codeAt(aliceFactor.secret, -1) })
  t.equal(replayOfConfirm.statusCode, 401)
  t.equal(replayOfConfirm.body.type, 'urn:secure-api:problem:invalid-second-factor')
  t.match(replayOfConfirm.headers['www-authenticate'], /^Bearer realm=/)

  // Bob's valid code does not finish Alice's login, and does not spend Bob's code either.
  const bobCode = codeAt(bobFactor.secret, 0)
  t.equal((await verify(app, { mfa_token: first.mfa_token, code: bobCode })).statusCode, 401, 'another user\'s code')
  const aliceCode = codeAt(aliceFactor.secret, 0)
  t.equal((await verify(app, { mfa_token: first.mfa_token, code: aliceCode })).statusCode, 200)
  // The same code at once again, with a fresh mfa_token: a replay within its window.
  const second = await loginToChallenge(app, alice.username, alice.password)
  t.equal((await verify(app, { mfa_token: second.mfa_token, code: aliceCode })).statusCode, 401, 'a replayed code')
  t.equal((await verify(app, { mfa_token: second.mfa_token, code: codeAt(aliceFactor.secret, 1) })).statusCode, 200, 'the next step\'s code works')

  // Bob's own token takes Bob's code.
  const bobChallenge = await loginToChallenge(app, bob.username, bob.password)
  t.equal((await verify(app, { mfa_token: bobChallenge.mfa_token, code: bobCode })).statusCode, 200)

  // An expired mfa_token (moved 5 minutes into the past) is dead.
  const third = await loginToChallenge(app, alice.username, alice.password)
  await app.db.updateTable('mfa_challenges').set({ expires_at: new Date(Date.now() - 1000).toISOString() }).where('consumed_at', 'is', null).execute()
  t.equal((await verify(app, { mfa_token: third.mfa_token, recovery_code: aliceFactor.recoveryCodes[0] ?? '' })).statusCode, 401, 'an expired mfa_token')
  t.equal((await verify(app, { mfa_token: 'x'.repeat(43), code: '000000' })).statusCode, 401, 'an unknown mfa_token')
})

onEachDatabase(t, 'K1: TOTP secrets are encrypted at rest', async (t, databaseUrl) => {
  const { app } = await buildTestApp(t, { DATABASE_URL: databaseUrl })
  const user = await registerAndLogin(app, 'sealed')
  const factor = await enrolTotp(app, user.tokens)
  const row = await app.db.selectFrom('mfa_factors').selectAll().where('id', '=', factor.factorId).executeTakeFirstOrThrow()
  t.notOk(row.secret_encrypted.includes(factor.secret), 'the base32 secret is not stored')
  t.match(row.secret_encrypted, /^v1\./, 'AES-256-GCM envelope')
  // Moved to another row, the ciphertext does not open: the factor id is associated data.
  const other = await registerAndLogin(app, 'thief')
  const otherFactor = await enrolTotp(app, other.tokens)
  await app.db.updateTable('mfa_factors').set({ secret_encrypted: row.secret_encrypted }).where('id', '=', otherFactor.factorId).execute()
  const challenge = await loginToChallenge(app, other.username, other.password)
  const response = await app.inject({ method: 'POST', url: '/auth/mfa/verify', payload: { mfa_token: challenge.mfa_token, code: codeAt(factor.secret, 0) } })
  t.equal(response.statusCode, 401, 'the copied secret does not work, and is no 5xx either')
})

onEachDatabase(t, 'K2: recovery codes are 10, strong, hashed, single use; a new set kills the old one', async (t, databaseUrl) => {
  const { app } = await buildTestApp(t, { DATABASE_URL: databaseUrl })
  const user = await registerAndLogin(app, 'codes')
  const factor = await enrolTotp(app, user.tokens)
  t.equal(new Set(factor.recoveryCodes).size, 10)
  for (const code of factor.recoveryCodes) t.match(code, /^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$/, '80 bits of base32')
  const stored = await app.db.selectFrom('recovery_codes').select('code_hash').where('user_id', '=', user.id).execute()
  t.equal(stored.length, 10)
  for (const { code_hash: hash } of stored) t.notOk(factor.recoveryCodes.some((code) => hash.includes(code.replace(/-/g, ''))), 'only hashes are stored')

  const [code = '', second = ''] = factor.recoveryCodes
  const challenge = await loginToChallenge(app, user.username, user.password)
  const used = await verify(app, { mfa_token: challenge.mfa_token, recovery_code: code.toUpperCase() })
  t.equal(used.statusCode, 200, 'case and dashes do not matter')
  t.same(claimsOf(used.body.access_token as string).amr, ['pwd', 'otp', 'mfa'])
  const audit = await app.db.selectFrom('audit_events').select('type').where('actor_id', '=', user.id).where('type', '=', 'recovery_code_used').execute()
  t.equal(audit.length, 1, 'using a recovery code is announced in the audit trail')

  const again = await loginToChallenge(app, user.username, user.password)
  t.equal((await verify(app, { mfa_token: again.mfa_token, recovery_code: code })).statusCode, 401, 'a used code is refused')

  const tokens = json<Tokens>(await app.inject({ method: 'POST', url: '/auth/mfa/verify', payload: { mfa_token: again.mfa_token, recovery_code: second } }))
  const regenerated = await app.inject({ method: 'POST', url: '/auth/mfa/recovery-codes', headers: bearer(tokens.access_token) })
  t.equal(regenerated.statusCode, 200)
  const fresh = json<{ recovery_codes: string[] }>(regenerated).recovery_codes
  t.equal(fresh.length, 10)
  const third = await loginToChallenge(app, user.username, user.password)
  t.equal((await verify(app, { mfa_token: third.mfa_token, recovery_code: factor.recoveryCodes[2] ?? '' })).statusCode, 401, 'the old set is dead')
  t.equal((await verify(app, { mfa_token: third.mfa_token, recovery_code: fresh[0] ?? '' })).statusCode, 200, 'the new set works')
})

t.test('K1: wrong codes share the login throttle, and an mfa_token dies after 5 wrong codes', async (t) => {
  const { app } = await buildTestApp(t, { LOGIN_FREE_FAILURES: '3', LOGIN_LOCK_THRESHOLD: '100' })
  const user = await registerAndLogin(app, 'guesser')
  const factor = await enrolTotp(app, user.tokens)
  const wrong = codeAt(factor.secret, 0) === '000000' ? '111111' : '000000'
  const challenge = await loginToChallenge(app, user.username, user.password)
  const statuses: number[] = []
  for (let i = 0; i < 4; i++) statuses.push((await verify(app, { mfa_token: challenge.mfa_token, code: wrong })).statusCode)
  t.same(statuses, [401, 401, 401, 429], 'after the free failures, the account backs off')
  const login = await app.inject({ method: 'POST', url: '/auth/login', payload: { username: user.username, password: user.password } })
  t.equal(login.statusCode, 429, 'the password login shares that back-off')
  t.ok(Number(login.headers['retry-after']) >= 1)

  // A correct password does not clear the count: only a finished sign-in does.
  const { app: second } = await buildTestApp(t, { LOGIN_FREE_FAILURES: '100' })
  const other = await registerAndLogin(second, 'worn')
  const otherFactor = await enrolTotp(second, other.tokens)
  const worn = await loginToChallenge(second, other.username, other.password)
  const bad = codeAt(otherFactor.secret, 0) === '000000' ? '111111' : '000000'
  for (let i = 0; i < 5; i++) await verify(second, { mfa_token: worn.mfa_token, code: bad })
  t.equal((await verify(second, { mfa_token: worn.mfa_token, code: codeAt(otherFactor.secret, 0) })).statusCode, 401, 'the 6th try, even right, is refused')
})

t.test('K3: a credential change between the password step and the code ends the mfa_token', async (t) => {
  const { app } = await buildTestApp(t)
  const user = await registerAndLogin(app, 'epoch')
  const factor = await enrolTotp(app, user.tokens)
  const challenge = await loginToChallenge(app, user.username, user.password)
  await app.db.updateTable('users').set((eb) => ({ auth_version: eb('auth_version', '+', 1) })).where('id', '=', user.id).execute()
  t.equal((await verify(app, { mfa_token: challenge.mfa_token, code: codeAt(factor.secret, 0) })).statusCode, 401)
})

t.test('bad input to the MFA routes is a 400 problem, never a 5xx', async (t) => {
  const { app } = await buildTestApp(t)
  const user = await registerAndLogin(app, 'junk')
  for (const payload of [{}, { mfa_token: 'x' }, { mfa_token: 'x', code: '12345' }, { mfa_token: 'x', code: '123456', recovery_code: 'a' }, { mfa_token: 'x', code: 123456 }]) {
    const response = await app.inject({ method: 'POST', url: '/auth/mfa/verify', payload })
    t.equal(response.statusCode, 400, JSON.stringify(payload))
    t.equal(response.headers['content-type'], 'application/problem+json; charset=utf-8')
  }
  const confirm = await app.inject({ method: 'POST', url: '/auth/mfa/totp/00000000-0000-4000-8000-000000000000/confirm', headers: bearer(user.tokens.access_token), payload: { code: '123456' } })
  t.equal(confirm.statusCode, 404)
  const pending = json<{ factor_id: string }>(await app.inject({ method: 'POST', url: '/auth/mfa/totp', headers: bearer(user.tokens.access_token) }))
  const wrong = await app.inject({ method: 'POST', url: `/auth/mfa/totp/${pending.factor_id}/confirm`, headers: bearer(user.tokens.access_token), payload: { code: '000000' } })
  t.equal(wrong.statusCode, wrong.statusCode === 200 ? 200 : 400, 'a wrong code is a 400 (unless 000000 happened to be right)')
  t.equal((await app.inject({ method: 'POST', url: '/auth/mfa/recovery-codes', headers: bearer(user.tokens.access_token) })).statusCode, wrong.statusCode === 200 ? 200 : 409, 'no factor, no recovery codes')
})

t.test('K1: one step of drift either side and no more', async (t) => {
  const { app } = await buildTestApp(t)
  const user = await registerAndLogin(app, 'drift')
  const factor = await enrolTotp(app, user.tokens)
  const challenge = await loginToChallenge(app, user.username, user.password)
  const twoAhead = currentCode(factor.secret, Date.now() + 60_000)
  const twoBehind = currentCode(factor.secret, Date.now() - 60_000)
  // A code of the accepted window that happens to equal a far one would make this test lie.
  const near = [-1, 0, 1].map((offset) => currentCode(factor.secret, Date.now() + offset * 30_000))
  if (near.includes(twoAhead) || near.includes(twoBehind)) return
  t.equal((await verify(app, { mfa_token: challenge.mfa_token, code: twoAhead })).statusCode, 401, 'two steps ahead')
  t.equal((await verify(app, { mfa_token: challenge.mfa_token, code: twoBehind })).statusCode, 401, 'two steps behind')
  t.equal((await verify(app, { mfa_token: challenge.mfa_token, code: codeAt(factor.secret, 1) })).statusCode, 200, 'one step ahead still works')
})
