import { createPublicKey, randomBytes, type JsonWebKey } from 'node:crypto'
import t from 'tap'
import { json } from '../../helpers/app.js'
import { b64url, forge, signingInput, type Json, type JsonObject, type SignWith } from '../../helpers/jwt-forge.js'
import { ALGORITHMS, expectAccepted, expectRejected, tokenLab, type TokenLab } from './harness.js'

/** Real-key signers for algorithm names the server does not use, per key type (A2: "any other algorithm"). */
function otherAlgorithms (lab: TokenLab): Array<{ alg: string, using: SignWith }> {
  const key = lab.realKey.key
  switch (lab.alg) {
    case 'EdDSA': return [{ alg: 'Ed25519', using: { kind: 'eddsa', key } }, { alg: 'Ed448', using: { kind: 'eddsa', key } }, { alg: 'ES256', using: { kind: 'eddsa', key } }]
    case 'ES256': return [{ alg: 'ES384', using: { kind: 'ecdsa', hash: 'sha384', key } }, { alg: 'ES512', using: { kind: 'ecdsa', hash: 'sha512', key } }, { alg: 'ES256K', using: { kind: 'ecdsa', hash: 'sha256', key } }]
    case 'RS256': return [
      { alg: 'RS384', using: { kind: 'rsa', hash: 'sha384', key } },
      { alg: 'RS512', using: { kind: 'rsa', hash: 'sha512', key } },
      { alg: 'PS256', using: { kind: 'rsa', hash: 'sha256', key, pss: true } },
      { alg: 'PS384', using: { kind: 'rsa', hash: 'sha384', key, pss: true } },
      { alg: 'PS512', using: { kind: 'rsa', hash: 'sha512', key, pss: true } }
    ]
    case 'HS256': return [{ alg: 'HS384', using: { kind: 'hmac', hash: 'sha384', secret: key } }, { alg: 'HS512', using: { kind: 'hmac', hash: 'sha512', secret: key } }]
  }
}

/** The server's public key in every encoding a confused verifier might use as an HMAC secret (A3). */
function publicKeyEncodings (jwk: JsonWebKey): Array<{ name: string, secret: Buffer }> {
  const publicKey = createPublicKey({ key: jwk, format: 'jwk' })
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString()
  const der = publicKey.export({ type: 'spki', format: 'der' })
  const trimmed = pem.replace(/\n$/, '')
  const encodings = [
    { name: 'PEM', secret: Buffer.from(pem) },
    { name: 'PEM without final newline', secret: Buffer.from(trimmed) },
    { name: 'PEM with CRLF', secret: Buffer.from(pem.replace(/\n/g, '\r\n')) },
    { name: 'PEM with CRLF, no final newline', secret: Buffer.from(trimmed.replace(/\n/g, '\r\n')) },
    { name: 'DER', secret: der },
    { name: 'DER as base64', secret: Buffer.from(der.toString('base64')) },
    { name: 'JWK JSON as served', secret: Buffer.from(JSON.stringify(jwk)) },
    { name: 'JWK JSON, public members only', secret: Buffer.from(JSON.stringify(publicKey.export({ format: 'jwk' }))) }
  ]
  if (jwk.kty === 'OKP') encodings.push({ name: 'raw Ed25519 point', secret: Buffer.from(jwk.x ?? '', 'base64url') })
  if (jwk.kty === 'EC') encodings.push({ name: 'raw uncompressed EC point', secret: Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x ?? '', 'base64url'), Buffer.from(jwk.y ?? '', 'base64url')]) })
  if (jwk.kty === 'RSA') {
    encodings.push({ name: 'raw RSA modulus', secret: Buffer.from(jwk.n ?? '', 'base64url') })
    encodings.push({ name: 'PKCS#1 PEM', secret: Buffer.from(publicKey.export({ type: 'pkcs1', format: 'pem' }).toString()) })
  }
  return encodings
}

for (const alg of ALGORITHMS) {
  t.test(`A2/A3 algorithm pinning and key confusion [${alg}]`, async (t) => {
    const lab = await tokenLab(t, alg)
    const { claims } = lab
    const header = { alg, typ: 'at+jwt', kid: lab.realKey.kid }

    await expectAccepted(t, lab, lab.tokens.access_token, 'the issued token')
    await expectAccepted(t, lab, lab.forgeWithRealKey(), 'a token forged with the real key and untouched claims')
    await expectAccepted(t, lab, lab.forgeWithRealKey({ typ: 'application/at+jwt' }), 'typ application/at+jwt (RFC 9068)')

    const validSignature = lab.tokens.access_token.split('.')[2] ?? ''
    for (const none of ['none', 'None', 'NONE', 'nOnE']) {
      const input = signingInput({ ...header, alg: none }, claims as JsonObject)
      await expectRejected(t, lab, `${input}.`, `A2 alg ${none}, empty signature`)
      await expectRejected(t, lab, input, `A2 alg ${none}, two segments`)
      await expectRejected(t, lab, `${input}.${validSignature}`, `A2 alg ${none} with the valid token's signature`)
      await expectRejected(t, lab, forge({ ...header, alg: none }, claims as JsonObject, lab.realSigner), `A2 alg ${none} signed with the real key`)
    }

    const withoutAlg: JsonObject = { typ: 'at+jwt', kid: lab.realKey.kid }
    await expectRejected(t, lab, forge(withoutAlg, claims as JsonObject, lab.realSigner), 'A2 missing alg')
    await expectRejected(t, lab, `${signingInput(withoutAlg, claims as JsonObject)}.`, 'A2 missing alg, no signature')
    const oddAlgValues: Json[] = ['', ' ', alg.toLowerCase(), alg.toUpperCase(), `${alg.slice(0, 1)}${alg.slice(1).toLowerCase()}`, `${alg} `, [alg], { name: alg }, null, 0, true]
    // Other-case spellings only: toUpperCase() of ES256 is ES256 itself.
    for (const value of oddAlgValues.filter((candidate) => candidate !== alg)) {
      await expectRejected(t, lab, lab.forgeWithRealKey({ alg: value }), `A2 alg ${JSON.stringify(value)} signed with the real key`)
    }
    for (const other of otherAlgorithms(lab)) {
      await expectRejected(t, lab, forge({ ...header, alg: other.alg }, claims as JsonObject, other.using), `A2 alg ${other.alg} with the real key`)
    }
    // An HMAC keyed with random bytes: an HS256 server must still refuse a secret it did not choose.
    for (const hash of ['sha256', 'sha384', 'sha512'] as const) {
      const name = `HS${hash.slice(3)}`
      await expectRejected(t, lab, forge({ ...header, alg: name }, claims as JsonObject, { kind: 'hmac', hash, secret: randomBytes(32) }), `A2 ${name} with a random secret`)
    }

    const jwks = await lab.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })
    if (alg === 'HS256') {
      t.equal(jwks.statusCode, 404, 'HS256 has no public key to confuse')
      // Under HS256 the confusion runs the other way: the secret is never a key for another algorithm.
      await expectRejected(t, lab, forge({ ...header, alg: 'HS256' }, claims as JsonObject, { kind: 'hmac', hash: 'sha256', secret: b64url(lab.realKey.key) }), 'A3 the secret base64url-encoded')
    } else {
      t.equal(jwks.statusCode, 200)
      const served = json<{ keys: JsonWebKey[] }>(jwks).keys.find((key) => key.kid === lab.realKey.kid)
      t.ok(served, 'the signing key is in the JWKS')
      if (served === undefined) return
      for (const encoding of publicKeyEncodings(served)) {
        for (const hash of ['sha256', 'sha384', 'sha512'] as const) {
          const name = `HS${hash.slice(3)}`
          await expectRejected(t, lab, forge({ ...header, alg: name }, claims as JsonObject, { kind: 'hmac', hash, secret: encoding.secret }), `A3 ${name} keyed with the public key as ${encoding.name}`)
        }
      }
    }
    t.comment(`${lab.stats.rejected} hostile tokens rejected under ${alg}`)
  })
}
