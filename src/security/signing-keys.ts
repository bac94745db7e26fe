import { createHmac, createPublicKey, generateKeyPairSync, randomUUID, type JsonWebKey } from 'node:crypto'

export type AsymmetricAlg = 'EdDSA' | 'ES256' | 'RS256'
export type JwtAlg = AsymmetricAlg | 'HS256'

export interface GeneratedKey {
  kid: string
  privatePem: string
  publicJwk: JsonWebKey
}

/** A fresh key pair for the algorithm; the kid is random so it reveals nothing about the key. */
export function generateSigningKey (alg: AsymmetricAlg): GeneratedKey {
  const pair = alg === 'EdDSA'
    ? generateKeyPairSync('ed25519')
    : alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 })
  const kid = randomUUID()
  const publicJwk = { ...pair.publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' }
  return { kid, privatePem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicJwk }
}

export function publicPemFromJwk (jwk: JsonWebKey): string {
  return createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString()
}

/** The public key a private key implies, as a JWK (key material only). */
export function publicJwkFromPrivatePem (privatePem: string): JsonWebKey {
  return createPublicKey(privatePem).export({ format: 'jwk' })
}

const KEY_MATERIAL = ['kty', 'crv', 'x', 'y', 'n', 'e'] as const

/** True when two JWKs describe the same public key (extra members such as kid and use are ignored). */
export function samePublicKey (a: JsonWebKey, b: JsonWebKey): boolean {
  return KEY_MATERIAL.every((member) => a[member] === b[member])
}

/** HS256 has one configured secret; its kid is derived from it so all instances agree without storage. */
export function hmacKid (secret: string): string {
  return `hs256-${createHmac('sha256', secret).update('kid').digest('base64url').slice(0, 16)}`
}
