import t from 'tap'
import { b64url, decodeJwt, fromB64url, type Json, type JsonObject } from '../../helpers/jwt-forge.js'
import { registerAndLogin } from '../../helpers/users.js'
import { ALGORITHMS, expectAccepted, expectRejected, tokenLab } from './harness.js'

const YEAR = 365 * 24 * 3600

for (const alg of ALGORITHMS) {
  t.test(`A1/A5/A6 signature first, then time and claims [${alg}]`, async (t) => {
    const lab = await tokenLab(t, alg)
    const other = await registerAndLogin(lab.app, 'other')
    const [header = '', payload = '', signature = ''] = lab.tokens.access_token.split('.')
    const now = Math.floor(Date.now() / 1000)

    await expectAccepted(t, lab, lab.forgeWithRealKey(), 'real key, claims untouched')
    await expectAccepted(t, lab, lab.forgeWithRealKey({}, { iat: now - 10, exp: now + 600, nbf: now - 1 }), 'real key, a fresh window with nbf in the past')

    // A1: any change to the signed part, or to the signature, with the original signature kept.
    const tamper = (patch: JsonObject): string => {
      const claims = { ...decodeJwt(lab.tokens.access_token).payload, ...patch }
      return `${header}.${b64url(JSON.stringify(claims))}.${signature}`
    }
    await expectRejected(t, lab, tamper({ sub: other.id }), 'A1 sub flipped to another user, original signature')
    await expectRejected(t, lab, tamper({ roles: ['user', 'admin'] }), 'A1 roles raised to admin, original signature')
    await expectRejected(t, lab, tamper({ exp: now + 3600 }), 'A1 exp extended, original signature')
    await expectRejected(t, lab, tamper({ sid: decodeJwt(other.tokens.access_token).payload.sid as string }), 'A1 sid swapped, original signature')
    const rawPayload = fromB64url(payload).toString('utf8')
    await expectRejected(t, lab, `${header}.${b64url(`${rawPayload} `)}.${signature}`, 'A1 payload with one trailing space, original signature')
    const headerWithoutKid = { ...decodeJwt(lab.tokens.access_token).header, extra: 1 }
    await expectRejected(t, lab, `${b64url(JSON.stringify(headerWithoutKid))}.${payload}.${signature}`, 'A1 header changed, original signature')
    await expectRejected(t, lab, `${header}.${payload}.${signature.slice(0, -1)}`, 'A1 signature missing its last character')
    await expectRejected(t, lab, `${header}.${payload}.${signature.slice(0, -4)}`, 'A1 signature missing four characters')
    await expectRejected(t, lab, `${header}.${payload}.${signature.slice(0, Math.floor(signature.length / 2))}`, 'A1 signature cut in half')
    await expectRejected(t, lab, `${header}.${payload}.${signature.slice(0, 1)}`, 'A1 one-character signature')
    await expectRejected(t, lab, `${header}.${payload}.`, 'A1 empty signature')
    await expectRejected(t, lab, `${header}.${payload}.${signature}AAAA`, 'A1 signature with extra bytes')
    const flipped = fromB64url(signature)
    flipped[Math.floor(flipped.length / 2)] = (flipped[Math.floor(flipped.length / 2)] ?? 0) ^ 0x01
    await expectRejected(t, lab, `${header}.${payload}.${flipped.toString('base64url')}`, 'A1 one bit of the signature flipped')
    await expectRejected(t, lab, `${header}.${payload}.${other.tokens.access_token.split('.')[2] ?? ''}`, 'A1 another valid token\'s signature')
    await expectRejected(t, lab, `${header}.${payload}.${Buffer.alloc(fromB64url(signature).length).toString('base64url')}`, 'A1 all-zero signature')

    // A5, with the REAL key: only the time claims are wrong.
    const timeCases: Array<[string, JsonObject]> = [
      ['expired a minute ago', { iat: now - 120, exp: now - 60 }],
      ['expired past the leeway', { iat: now - 100, exp: now - 10 }],
      ['nbf a minute ahead', { nbf: now + 60 }],
      ['nbf a day ahead', { nbf: now + 86400, exp: now + 86400 + 600, iat: now }],
      ['iat a minute ahead', { iat: now + 60 }],
      ['iat a year ahead', { iat: now + YEAR, exp: now + YEAR + 600 }],
      ['a 10-year lifetime', { iat: now, exp: now + 10 * YEAR }],
      ['a lifetime just over the configured TTL', { iat: now, exp: now + 900 + 60 }],
      ['iat an hour old, exp in the future (maxAge)', { iat: now - 3600, exp: now + 600 }],
      ['iat at the epoch', { iat: 0, exp: now + 600 }],
      ['exp at the epoch', { exp: 0 }],
      ['exp negative', { exp: -1 }],
      ['exp huge', { exp: 1e308 }],
      ['iat negative huge', { iat: -1e308 }]
    ]
    for (const [name, patch] of timeCases) {
      const token = lab.forgeWithRealKey({}, patch)
      await expectRejected(t, lab, token, `A5 ${name}, signed with the real key`)
    }
    // The answer to a not-yet-valid token names no time (A5): it is the one invalid-token body.
    const nbf = now + 3600
    const early = await lab.app.inject({ method: 'GET', url: '/protected', headers: { authorization: `Bearer ${lab.forgeWithRealKey({}, { nbf })}` } })
    const leaked = [String(nbf), new Date(nbf * 1000).toISOString().slice(0, 16), String(nbf * 1000)]
    t.notOk(leaked.some((text) => early.body.includes(text) || JSON.stringify(early.headers).includes(text)), 'A5 the nbf time is not in the answer')

    // A6, with the REAL key: issuer, audience, typ and claim types must be exact.
    const claimCases: Array<[string, JsonObject]> = [
      ['iss wrong', { iss: 'https://attacker.example' }],
      ['iss missing', { iss: undefined }],
      ['iss empty', { iss: '' }],
      ['iss in another case', { iss: String(lab.claims.iss).toUpperCase() }],
      ['iss with a trailing space', { iss: `${String(lab.claims.iss)} ` }],
      ['iss as an array', { iss: [String(lab.claims.iss)] }],
      ['aud wrong', { aud: 'another-api' }],
      ['aud missing', { aud: undefined }],
      ['aud empty', { aud: '' }],
      ['aud as an array of others', { aud: ['another-api', 'third-api'] }],
      ['aud an empty array', { aud: [] }],
      ['aud a number', { aud: 1 }],
      ['sub a number', { sub: 12345 }],
      ['sub null', { sub: null }],
      ['sub an array', { sub: [lab.user.id] }],
      ['sub missing', { sub: undefined }],
      ['roles a string', { roles: 'admin' }],
      ['roles numbers', { roles: [1, 2] }],
      ['roles an object', { roles: { admin: true } }],
      ['exp a string', { exp: String(now + 600) }],
      ['exp missing', { exp: undefined }],
      ['iat a string', { iat: String(now) }],
      ['iat missing', { iat: undefined }],
      ['nbf a string', { nbf: String(now - 10) }],
      ['sid missing', { sid: undefined }],
      ['sid a number', { sid: 7 }],
      ['jti missing', { jti: undefined }],
      ['jti a number', { jti: 7 }],
      ['jti an object', { jti: { $gt: '' } }]
    ]
    for (const [name, patch] of claimCases) {
      await expectRejected(t, lab, lab.forgeWithRealKey({}, patch), `A6 ${name}, signed with the real key`)
    }
    const typValues: Json[] = ['JWT', 'jwt', 'application/jwt', '', 'at+jwt ', 'AT+JWT', 'Application/At+Jwt', 'dpop+jwt', 'id_token+jwt', 'at+jwt; charset=utf-8', ['at+jwt'], 1, null]
    for (const typ of typValues) {
      await expectRejected(t, lab, lab.forgeWithRealKey({ typ }), `A6 typ ${JSON.stringify(typ)}, signed with the real key`)
    }
    await expectRejected(t, lab, lab.forgeWithRealKey({ typ: undefined }), 'A6 typ missing, signed with the real key')
    t.comment(`${lab.stats.rejected} hostile tokens rejected under ${alg}`)
  })
}
