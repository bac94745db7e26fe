import { request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { b64url, decodeJwt, es256SignatureAsDer, forge, fromB64url, signature, type JsonObject } from '../../helpers/jwt-forge.js'
import { ALGORITHMS, expectAccepted, expectRejected, LIBRARY_TEXT, tokenLab } from './harness.js'

interface RawResponse { status: number, headers: Record<string, string | string[] | undefined>, body: string }

/** A real HTTP request: inject() skips Node's parser, and so the header size limit (A8, F2). */
async function rawGet (port: number, headers: Record<string, string>): Promise<RawResponse> {
  return await new Promise((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port, path: '/protected', method: 'GET', headers }, (response) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => { body += chunk })
      response.on('end', () => { resolve({ status: response.statusCode ?? 0, headers: response.headers, body }) })
    })
    request.on('error', reject)
    request.end()
  })
}

for (const alg of ALGORITHMS) {
  t.test(`A8 malformed tokens are rejected cheaply [${alg}]`, async (t) => {
    const lab = await tokenLab(t, alg)
    const token = lab.tokens.access_token
    const [header = '', payload = '', sig = ''] = token.split('.')
    const { header: headerJson, payload: claims } = decodeJwt(token)
    const signed = (rawHeader: string, rawPayload: string): string => `${rawHeader}.${rawPayload}.${b64url(signature(`${rawHeader}.${rawPayload}`, lab.realSigner))}`

    await expectAccepted(t, lab, token, 'the issued token')

    // 8 KB+ tokens are refused before anything parses them, and fast (A8).
    const huge = lab.forgeWithRealKey({}, { padding: 'x'.repeat(8192) })
    const started = process.hrtime.bigint()
    await expectRejected(t, lab, huge, 'A8 an 8 KB+ token signed with the real key')
    const elapsed = Number(process.hrtime.bigint() - started) / 1e6
    t.ok(elapsed < 250, `A8 the 8 KB+ token was answered in ${elapsed.toFixed(1)} ms`)
    const reasons = lab.logs().map((line) => (line.security as { reason?: string } | undefined)?.reason).filter((reason) => reason !== undefined)
    t.equal(reasons.at(-1), 'malformed', 'A8 the 8 KB+ token never reached the verifier')
    await expectRejected(t, lab, `${token}${'A'.repeat(4100)}`, 'A8 a valid token with 4 KB appended')

    const shapes: Array<[string, string]> = [
      ['one segment', header],
      ['two segments', `${header}.${payload}`],
      ['four segments', `${token}.${sig}`],
      ['five segments (JWE compact shape)', `${header}.${payload}.${sig}.${sig}.${sig}`],
      ['a trailing dot', `${token}.`],
      ['a leading dot', `.${token}`],
      ['only dots', '..'],
      ['empty header', `.${payload}.${sig}`],
      ['empty payload', `${header}..${sig}`],
      ['padding on the header', `${header}=.${payload}.${sig}`],
      ['padding on the payload', `${header}.${payload}==.${sig}`],
      ['padding on the signature', `${token}=`],
      ['"+" in the signature', `${header}.${payload}.+${sig.slice(1)}`],
      ['"/" in the signature', `${header}.${payload}.${sig.slice(0, -1)}/`],
      ['standard base64 everywhere', token.replace(/-/g, '+').replace(/_/g, '/').concat(token.includes('-') || token.includes('_') ? '' : '+')],
      ['a space inside', `${header}.${payload} .${sig}`],
      ['a non-ASCII character', `${header}.${payload}é.${sig}`],
      ['a random word', 'Bearer'],
      ['a UUID', lab.user.id]
    ]
    for (const [name, value] of shapes) await expectRejected(t, lab, value, `A8 ${name}`)

    // Non-JSON and non-object parts, signed with the REAL key so only the shape is wrong.
    const rawParts: Array<[string, string, string]> = [
      ['non-JSON header', b64url('not json'), payload],
      ['non-JSON payload', header, b64url('{"sub":')],
      ['header an array', b64url(JSON.stringify([headerJson])), payload],
      ['header a number', b64url('123'), payload],
      ['header null', b64url('null'), payload],
      ['header a string', b64url(JSON.stringify(JSON.stringify(headerJson))), payload],
      ['payload an empty array', header, b64url('[]')],
      ['payload a number', header, b64url('123')],
      ['payload a string', header, b64url('"claims"')],
      ['payload null', header, b64url('null')],
      ['payload true', header, b64url('true')],
      ['payload the claims in an array', header, b64url(JSON.stringify([claims]))],
      ['payload a nested JWT (cty JWT)', b64url(JSON.stringify({ ...headerJson, cty: 'JWT' })), b64url(token)],
      ['duplicate alg, last one none', b64url(`{"alg":${JSON.stringify(alg)},"typ":"at+jwt","kid":${JSON.stringify(lab.realKey.kid)},"alg":"none"}`), payload],
      ['payload with BOM', header, b64url(`\uFEFF${JSON.stringify(claims)}`)]
    ]
    for (const [name, rawHeader, rawPayload] of rawParts) await expectRejected(t, lab, signed(rawHeader, rawPayload), `A8 ${name}, signed with the real key`)

    // Prototype keys in the payload grant nothing: roles must be the claim's own value.
    const { roles: _roles, ...withoutRoles } = claims
    await expectRejected(t, lab, signed(header, b64url(`{"__proto__":{"roles":["admin"]},${JSON.stringify(withoutRoles).slice(1)}`)), 'A8 roles only under a __proto__ key, signed with the real key')

    // JWE-looking tokens: encryption headers, five segments, and enc on a signed token.
    const jwe = `${b64url(JSON.stringify({ alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: lab.realKey.kid, typ: 'at+jwt' }))}.${b64url('k'.repeat(32))}.${b64url('iv'.repeat(6))}.${payload}.${b64url('t'.repeat(16))}`
    await expectRejected(t, lab, jwe, 'A8 a JWE (five segments, alg RSA-OAEP-256)')
    await expectRejected(t, lab, `${b64url(JSON.stringify({ alg: 'dir', enc: 'A128CBC-HS256', kid: lab.realKey.kid }))}..${b64url('iv')}.${payload}.${b64url('tag')}`, 'A8 a JWE with alg dir')
    await expectRejected(t, lab, forge({ alg: 'RSA-OAEP', enc: 'A256GCM', typ: 'at+jwt', kid: lab.realKey.kid }, claims as JsonObject, lab.realSigner), 'A8 three segments with a JWE alg')

    // Signatures of the wrong size or encoding (bad DER for ECDSA).
    if (alg === 'ES256') await expectRejected(t, lab, es256SignatureAsDer(token), 'A8 ES256 signature in DER instead of P1363')
    await expectRejected(t, lab, `${header}.${payload}.${b64url(Buffer.concat([fromB64url(sig), Buffer.from([0])]))}`, 'A8 signature one byte too long')
    await expectRejected(t, lab, `${header}.${payload}.${b64url(Buffer.from([0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]))}`, 'A8 a tiny DER signature')
    await expectRejected(t, lab, `${header}.${payload}.${b64url(Buffer.from([0x30, 0x81]))}`, 'A8 a truncated DER signature')

    // Header size limit: the real listener answers 431 as a problem document (A8, F2, B4).
    await lab.app.listen({ port: 0, host: '127.0.0.1' })
    const port = (lab.app.server.address() as AddressInfo).port
    const overLimit = await rawGet(port, { authorization: `Bearer ${lab.forgeWithRealKey({}, { padding: 'x'.repeat(20_000) })}` })
    t.equal(overLimit.status, 431, 'A8 a 20 KB Authorization header gets 431')
    t.match(String(overLimit.headers['content-type']), /^application\/problem\+json/, 'B4 the 431 is a problem document')
    t.notMatch(overLimit.body, LIBRARY_TEXT, 'B4 the 431 names no library')
    if (/^application\/problem\+json/.test(String(overLimit.headers['content-type']))) t.equal((JSON.parse(overLimit.body) as { status: number }).status, 431)
    const padded = await rawGet(port, { 'x-pad': 'p'.repeat(17_000) })
    t.equal(padded.status, 431, 'A8 any header over the limit gets 431')
    const big = await rawGet(port, { authorization: `Bearer ${huge}` })
    t.equal(big.status, 401, 'A8 an 8 KB+ token under the header limit is a 401 over a real socket')
    t.match(String(big.headers['www-authenticate']), /error="invalid_token"/)
    t.comment(`${lab.stats.rejected + 2} hostile tokens rejected under ${alg}`)
  })
}
