import { createPublicKey } from 'node:crypto'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { generate } from 'selfsigned'
import t from 'tap'
import type { Test } from 'tap'
import { attackerKey, forge, type Json, type JsonObject } from '../../helpers/jwt-forge.js'
import { ALGORITHMS, expectAccepted, expectRejected, tokenLab, type Algorithm } from './harness.js'

/** A key server the attacker controls: any request it receives means the verifier followed a header (A4). */
async function trap (t: Test, body: string): Promise<{ base: string, requests: string[] }> {
  const requests: string[] = []
  const server = createServer((request: IncomingMessage, response) => {
    requests.push(`${request.method ?? ''} ${request.url ?? ''}`)
    response.writeHead(200, { 'content-type': 'application/json' }).end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { server.close(() => { resolve() }) }))
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests }
}

/** A real X.509 certificate for the attacker's key where selfsigned supports the key type. */
async function attackerCertificate (alg: Algorithm, privatePem: string | undefined, publicPem: string | undefined): Promise<string> {
  const keyPair = (alg === 'RS256' || alg === 'ES256') && privatePem !== undefined && publicPem !== undefined ? { privateKey: privatePem, publicKey: publicPem } : undefined
  const pems = await generate([{ name: 'commonName', value: 'attacker.example' }], { algorithm: 'sha256', ...(alg === 'ES256' ? { keyType: 'ec' as const } : {}), ...(keyPair === undefined ? {} : { keyPair }) })
  return pems.cert.replace(/-----[A-Z ]+-----|\s/g, '')
}

const HOSTILE_KIDS = (trapBase: string): Json[] => [
  '../../etc/passwd', '../../../../../../../../dev/null', '/dev/null', '..\\..\\windows\\win.ini', '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  "' OR 1=1--", "x' UNION SELECT private_key FROM signing_keys--", '1; DROP TABLE signing_keys', '"; --',
  '$(id)', '`id`', '| id', '; sleep 5', '$(sleep 5)',
  `${trapBase}/kid`, 'file:///etc/passwd', 'https://attacker.example/jwks.json',
  '', ' ', '__proto__', 'constructor', 'toString', 'hasOwnProperty', '\u0000', 'k'.repeat(2000),
  0, 1, null, true, [], ['x'], { $ne: null }
]

for (const alg of ALGORITHMS) {
  t.test(`A4 keys come only from configuration [${alg}]`, async (t) => {
    const lab = await tokenLab(t, alg)
    const claims = lab.claims as JsonObject
    const attacker = attackerKey(alg)
    const attackerKid = 'attacker-key-1'
    const attackerJwk = { ...attacker.publicJwk, kid: attackerKid, alg, use: 'sig' } as JsonObject
    const server = await trap(t, JSON.stringify({ keys: [attackerJwk, { ...attackerJwk, kid: lab.realKey.kid }] }))
    const header = { alg, typ: 'at+jwt' }
    const privatePem = attacker.privateKey?.export({ type: 'pkcs8', format: 'pem' }).toString()
    const publicPem = attacker.privateKey === undefined ? undefined : createPublicKey(attacker.privateKey).export({ type: 'spki', format: 'pem' }).toString()
    const cert = await attackerCertificate(alg, privatePem, publicPem)

    await expectAccepted(t, lab, lab.forgeWithRealKey(), 'the real key')

    for (const kid of [attackerKid, lab.realKey.kid]) {
      const kidLabel = kid === attackerKid ? 'the attacker kid' : 'the real kid'
      await expectRejected(t, lab, forge({ ...header, kid, jwk: attackerJwk }, claims, attacker.using), `A4 embedded jwk with ${kidLabel}`)
      await expectRejected(t, lab, forge({ ...header, kid, jku: `${server.base}/jwks.json` }, claims, attacker.using), `A4 jku with ${kidLabel}`)
      await expectRejected(t, lab, forge({ ...header, kid, x5u: `${server.base}/cert.pem` }, claims, attacker.using), `A4 x5u with ${kidLabel}`)
      await expectRejected(t, lab, forge({ ...header, kid, x5c: [cert] }, claims, attacker.using), `A4 x5c with ${kidLabel}`)
      await expectRejected(t, lab, forge({ ...header, kid, jwk: attackerJwk, jku: `${server.base}/jwks.json`, x5u: `${server.base}/x5u`, x5c: [cert] }, claims, attacker.using), `A4 every key header at once with ${kidLabel}`)
    }
    await expectRejected(t, lab, forge({ ...header, jwk: attackerJwk }, claims, attacker.using), 'A4 embedded jwk, no kid')
    await expectRejected(t, lab, forge({ ...header, jku: `${server.base}/jwks.json` }, claims, attacker.using), 'A4 jku, no kid')

    // The classic kid injection: a path to an empty or known file, keyed with its content.
    for (const kid of ['/dev/null', '../../../../../../dev/null']) {
      await expectRejected(t, lab, forge({ ...header, alg: 'HS256', kid }, claims, { kind: 'hmac', hash: 'sha256', secret: '' }), `A4 kid ${kid} with an empty HMAC secret`)
      await expectRejected(t, lab, forge({ ...header, kid }, claims, attacker.using), `A4 kid ${kid} with the attacker key`)
    }

    // Hostile kids on a token signed with the REAL key: the kid must select among configured keys only.
    const timings: number[] = []
    for (const kid of HOSTILE_KIDS(server.base)) {
      const started = process.hrtime.bigint()
      await expectRejected(t, lab, lab.forgeWithRealKey({ kid }), `A4 kid ${JSON.stringify(kid).slice(0, 60)} signed with the real key`)
      timings.push(Number(process.hrtime.bigint() - started) / 1e6)
    }
    await expectRejected(t, lab, lab.forgeWithRealKey({ kid: undefined }), 'A4 no kid, signed with the real key')
    await expectRejected(t, lab, lab.forgeWithRealKey({ kid: lab.realKey.kid.toUpperCase() }), 'A4 kid in another case')
    await expectRejected(t, lab, lab.forgeWithRealKey({ kid: `${lab.realKey.kid} ` }), 'A4 kid with a trailing space')
    t.ok(Math.max(...timings) < 1000, `A4 hostile kids answered without delay (slowest ${Math.max(...timings).toFixed(1)} ms, none ran "sleep 5")`)

    // RFC 7515 §4.1.11: an extension the verifier does not understand makes the token invalid.
    const critCases: Array<[string, JsonObject]> = [
      ['unknown extension', { crit: ['x-unknown'], 'x-unknown': true }],
      ['unknown extension, absent', { crit: ['x-unknown'] }],
      ['b64 (RFC 7797 unencoded payload)', { crit: ['b64'], b64: false }],
      ['exp as a header extension', { crit: ['exp'], exp: 1 }],
      ['empty list', { crit: [] }],
      ['a string', { crit: 'x-unknown', 'x-unknown': 1 }]
    ]
    for (const [name, patch] of critCases) await expectRejected(t, lab, lab.forgeWithRealKey(patch), `A8 crit: ${name}, signed with the real key`)

    // Give a verifier that fetched asynchronously time to do it before counting.
    await new Promise((resolve) => setTimeout(resolve, 200))
    t.same(server.requests, [], 'A4 the attacker key server received no request')
    t.comment(`${lab.stats.rejected} hostile tokens rejected under ${alg}`)
  })
}
