import { createPublicKey, verify, type JsonWebKey } from 'node:crypto'
import t from 'tap'
import { buildTestApp, json } from '../helpers/app.js'
import { registerAndLogin } from '../helpers/users.js'

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth']

function decodeSegment (segment: string | undefined): Record<string, unknown> {
  return JSON.parse(Buffer.from(segment ?? '', 'base64url').toString('utf8')) as Record<string, unknown>
}

for (const alg of ['EdDSA', 'ES256', 'RS256'] as const) {
  t.test(`JWKS under ${alg}: public keys only, and they verify the tokens we issue`, async (t) => {
    const { app } = await buildTestApp(t, { JWT_ALG: alg })
    const response = await app.inject({ method: 'GET', url: '/.well-known/jwks.json' })
    t.equal(response.statusCode, 200)
    t.match(response.headers['cache-control'], /max-age=\d+/)
    const { keys } = json<{ keys: Array<JsonWebKey & { kid: string, alg: string, use: string }> }>(response)
    t.equal(keys.length, 1)
    for (const key of keys) {
      for (const member of PRIVATE_MEMBERS) t.notOk(member in key, `no "${member}"`)
      t.equal(key.alg, alg)
      t.equal(key.use, 'sig')
      t.type(key.kid, 'string')
    }
    t.notMatch(response.body, /"d"\s*:/, 'no private exponent anywhere in the body')
    t.notMatch(response.body, /PRIVATE/)

    const user = await registerAndLogin(app)
    const [header, payload, signature] = user.tokens.access_token.split('.')
    const kid = decodeSegment(header).kid
    const key = keys.find((candidate) => candidate.kid === kid)
    t.ok(key, 'the token names a key in the set')
    if (key === undefined) return
    const publicKey = createPublicKey({ key, format: 'jwk' })
    const data = Buffer.from(`${header}.${payload}`)
    const sig = Buffer.from(signature ?? '', 'base64url')
    const ok = alg === 'EdDSA'
      ? verify(null, data, publicKey, sig)
      : alg === 'ES256'
        ? verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, sig)
        : verify('sha256', data, publicKey, sig)
    t.ok(ok, 'a third party can verify our token with the published key alone')
  })
}

t.test('JWKS answers a 404 problem under HS256, which has no public key', async (t) => {
  const { app } = await buildTestApp(t, { JWT_ALG: 'HS256', JWT_SECRET: 'an-hs256-secret-that-is-32-bytes-long!!', KEY_ENCRYPTION_SECRET: undefined })
  const response = await app.inject({ method: 'GET', url: '/.well-known/jwks.json' })
  t.equal(response.statusCode, 404)
  t.match(response.headers['content-type'], /application\/problem\+json/)
  t.notMatch(response.body, /an-hs256-secret/)
  t.equal(json(response).status, 404)
})
