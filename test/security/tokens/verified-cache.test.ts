import t from 'tap'
import { VerifiedTokenCache, type AccessTokenClaims } from '../../../src/security/access-tokens.js'
import { buildTestApp } from '../../helpers/app.js'
import { bearer, registerAndLogin } from '../../helpers/users.js'

function claims (iat: number, exp: number): AccessTokenClaims {
  return { iss: 'i', aud: 'a', sub: 's', sid: 'sid', jti: 'j', iat, exp, roles: ['user'], preferred_username: 'u', amr: ['pwd'], acr: undefined, auth_time: iat }
}

t.test('issue 10: a verified token is remembered no longer than exp, iat + max age, or the key refresh interval', async (t) => {
  const now = 1_000_000_000_000
  const iat = now / 1000
  // ttl (key refresh) 60 s, max age 905 s, leeway 5 s
  const cache = new VerifiedTokenCache(10, 60_000, 905_000, 5_000)
  cache.set('long', claims(iat, iat + 900), now)
  t.ok(cache.get('long', now + 60_000), 'within the key refresh interval')
  t.equal(cache.get('long', now + 60_001), undefined, 'A4: gone after KEY_REFRESH_INTERVAL: a retired key stops verifying on time')
  cache.set('short', claims(iat, iat + 10), now)
  t.ok(cache.get('short', now + 15_000), 'exp plus the leeway, as fast-jwt allows')
  t.equal(cache.get('short', now + 15_001), undefined, 'A5: never past exp + leeway')
  cache.set('old', claims(iat - 900, iat + 100), now)
  t.equal(cache.get('old', now + 5_001), undefined, 'never past iat + max age')
  cache.set('expired', claims(iat - 100, iat - 10), now)
  t.equal(cache.get('expired', now), undefined, 'an expired token is not stored')
  t.equal(cache.get('other', now), undefined, 'only the exact token text hits')
})

t.test('issue 10: the cache is bounded, oldest out first, and its claims cannot be changed by a request', async (t) => {
  const now = 1_000_000_000_000
  const cache = new VerifiedTokenCache(2, 60_000, 905_000, 5_000)
  for (const token of ['a', 'b', 'c']) cache.set(token, claims(now / 1000, now / 1000 + 900), now)
  t.equal(cache.size, 2)
  t.equal(cache.get('a', now), undefined, 'the oldest went')
  const kept = cache.get('c', now)
  t.ok(Object.isFrozen(kept) && Object.isFrozen(kept?.roles), 'frozen')
  t.throws(() => { (kept?.roles as string[]).push('admin') }, 'a role cannot be added to a shared entry')
})

t.test('A2/A9: with the token remembered, a tampered copy is still refused and a revoked session stops at once', async (t) => {
  const { app } = await buildTestApp(t)
  const user = await registerAndLogin(app)
  const token = user.tokens.access_token
  t.equal((await app.inject({ method: 'GET', url: '/protected', headers: bearer(token) })).statusCode, 200)
  t.equal(app.verifiedTokens.size, 1, 'the token is remembered')
  const [header = '', payload = '', signature = ''] = token.split('.')
  const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>
  const forged = `${header}.${Buffer.from(JSON.stringify({ ...decoded, roles: ['admin'] })).toString('base64url')}.${signature}`
  t.equal((await app.inject({ method: 'GET', url: '/protected', headers: bearer(forged) })).statusCode, 401, 'the same signature on other claims is refused')
  const flipped = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`
  t.equal((await app.inject({ method: 'GET', url: '/protected', headers: bearer(flipped) })).statusCode, 401, 'a changed signature is refused')
  t.equal(app.verifiedTokens.size, 1, 'refusals are not remembered here')
  app.revocations.markRevoked([String(decoded.sid)])
  t.equal((await app.inject({ method: 'GET', url: '/protected', headers: bearer(token) })).statusCode, 401, 'A9: revocation is checked outside the cache')
})
