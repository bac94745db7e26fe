import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto'

/**
 * A software WebAuthn authenticator for tests, so refusals can be crafted without a browser:
 * it builds clientDataJSON, authenticator data, a 'none' attestation object and assertion
 * signatures with node:crypto. TEST CODE ONLY: the server never parses CBOR or COSE itself
 * (@simplewebauthn/server does); the minimal CBOR encoder below covers the fixed map shapes an
 * attestation object and a COSE key need.
 */
type Cbor = number | string | Uint8Array | Cbor[] | Map<number | string, Cbor>

function head (major: number, length: number): Buffer {
  if (length < 24) return Buffer.from([(major << 5) | length])
  if (length < 0x100) return Buffer.from([(major << 5) | 24, length])
  if (length < 0x10000) {
    const buffer = Buffer.alloc(3)
    buffer[0] = (major << 5) | 25
    buffer.writeUInt16BE(length, 1)
    return buffer
  }
  const buffer = Buffer.alloc(5)
  buffer[0] = (major << 5) | 26
  buffer.writeUInt32BE(length, 1)
  return buffer
}

export function cbor (value: Cbor): Buffer {
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value)
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8')
    return Buffer.concat([head(3, bytes.length), bytes])
  }
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), value])
  if (Array.isArray(value)) return Buffer.concat([head(4, value.length), ...value.map(cbor)])
  return Buffer.concat([head(5, value.size), ...[...value].flatMap(([key, inner]) => [cbor(key), cbor(inner)])])
}

export type Algorithm = 'ES256' | 'EdDSA' | 'RS256'

const FLAG_UP = 0x01
const FLAG_UV = 0x04
const FLAG_AT = 0x40

const b64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url')
const sha256 = (data: Uint8Array | string): Buffer => createHash('sha256').update(data).digest()

function coseKey (alg: Algorithm, publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: 'jwk' })
  const bytes = (value: string | undefined): Uint8Array => Buffer.from(value ?? '', 'base64url')
  if (alg === 'ES256') return cbor(new Map<number, Cbor>([[1, 2], [3, -7], [-1, 1], [-2, bytes(jwk.x)], [-3, bytes(jwk.y)]]))
  if (alg === 'EdDSA') return cbor(new Map<number, Cbor>([[1, 1], [3, -8], [-1, 6], [-2, bytes(jwk.x)]]))
  return cbor(new Map<number, Cbor>([[1, 3], [3, -257], [-1, bytes(jwk.n)], [-2, bytes(jwk.e)]]))
}

/** What a ceremony may be bent by, to craft each refusal. */
export interface Tweaks {
  origin?: string
  rpId?: string
  /** Sets the UV flag (default true). */
  userVerified?: boolean
  /** The signature counter to claim (default: one more than the last). */
  counter?: number
  /** A challenge other than the options' one. */
  challenge?: string
  /** For assertions: the user handle to return (default: the one registered). */
  userHandle?: string
  type?: string
}

export interface RegistrationResponse {
  id: string
  rawId: string
  type: 'public-key'
  response: { clientDataJSON: string, attestationObject: string, transports: string[] }
  authenticatorAttachment: 'platform'
  clientExtensionResults: Record<string, never>
}

export interface AssertionResponse {
  id: string
  rawId: string
  type: 'public-key'
  response: { clientDataJSON: string, authenticatorData: string, signature: string, userHandle?: string }
  authenticatorAttachment: 'platform'
  clientExtensionResults: Record<string, never>
}

export class SoftwareAuthenticator {
  readonly credentialId = randomBytes(32)
  private readonly privateKey: KeyObject
  private readonly publicKey: KeyObject
  private signCount = 0
  userHandle: string | undefined

  constructor (readonly rpId: string, readonly origin: string, readonly alg: Algorithm = 'ES256') {
    const pair = alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : alg === 'EdDSA' ? generateKeyPairSync('ed25519') : generateKeyPairSync('rsa', { modulusLength: 2048 })
    this.privateKey = pair.privateKey
    this.publicKey = pair.publicKey
  }

  get id (): string {
    return b64url(this.credentialId)
  }

  private clientData (type: string, challenge: string, tweaks: Tweaks): Buffer {
    return Buffer.from(JSON.stringify({ type: tweaks.type ?? type, challenge: tweaks.challenge ?? challenge, origin: tweaks.origin ?? this.origin, crossOrigin: false }))
  }

  private authData (tweaks: Tweaks, attested: boolean): Buffer {
    const flags = FLAG_UP | (tweaks.userVerified === false ? 0 : FLAG_UV) | (attested ? FLAG_AT : 0)
    const counter = Buffer.alloc(4)
    counter.writeUInt32BE(tweaks.counter ?? this.signCount)
    const parts = [sha256(tweaks.rpId ?? this.rpId), Buffer.from([flags]), counter]
    if (attested) {
      const length = Buffer.alloc(2)
      length.writeUInt16BE(this.credentialId.length)
      parts.push(Buffer.alloc(16), length, this.credentialId, coseKey(this.alg, this.publicKey))
    }
    return Buffer.concat(parts)
  }

  /** navigator.credentials.create() for these creation options. */
  register (options: { challenge: string, user: { id: string } }, tweaks: Tweaks = {}): RegistrationResponse {
    this.userHandle = options.user.id
    const clientDataJSON = this.clientData('webauthn.create', options.challenge, tweaks)
    const attestationObject = cbor(new Map<string, Cbor>([['fmt', 'none'], ['attStmt', new Map()], ['authData', this.authData(tweaks, true)]]))
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      response: { clientDataJSON: b64url(clientDataJSON), attestationObject: b64url(attestationObject), transports: ['internal'] },
      authenticatorAttachment: 'platform',
      clientExtensionResults: {}
    }
  }

  /** navigator.credentials.get() for these request options; the counter moves on by one. */
  assert (options: { challenge: string }, tweaks: Tweaks = {}): AssertionResponse {
    if (tweaks.counter === undefined) this.signCount++
    const clientDataJSON = this.clientData('webauthn.get', options.challenge, tweaks)
    const authenticatorData = this.authData(tweaks, false)
    const signed = Buffer.concat([authenticatorData, sha256(clientDataJSON)])
    const signature = sign(this.alg === 'EdDSA' ? null : 'sha256', signed, this.privateKey)
    const userHandle = tweaks.userHandle ?? this.userHandle
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authenticatorData),
        signature: b64url(signature),
        ...(userHandle === undefined ? {} : { userHandle })
      },
      authenticatorAttachment: 'platform',
      clientExtensionResults: {}
    }
  }
}
