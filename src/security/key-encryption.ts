import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'

/** Where a development start keeps its generated secret (mode 0600); production must set KEY_ENCRYPTION_SECRET. */
export const DEV_SECRET_FILE = './data/.key-encryption-secret'

const FORMAT = 'v1'

/** One key per purpose from one secret (HKDF info), so a ciphertext of one kind never opens as another. */
export type SealPurpose = 'secure-api/signing-keys' | 'secure-api/totp-secrets'

function deriveKey (secret: string, purpose: SealPurpose): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, purpose, 'aes-256-gcm', 32))
}

/**
 * The additional authenticated data of a sealed signing key: its kid, algorithm and use, so
 * a ciphertext moved to another row, or a row relabelled to another algorithm, does not
 * decrypt (aad_version 1). Keys sealed before carry the kid alone (aad_version 0) and are
 * resealed when the key set is next loaded.
 */
export function signingKeyAad (kid: string, alg: string): string {
  return `${kid}|${alg}|sig`
}

/** Encrypts private signing keys at rest with AES-256-GCM, bound to `aad` (see signingKeyAad). */
export class KeyEncryption {
  private readonly key: Buffer

  constructor (secret: string, purpose: SealPurpose = 'secure-api/signing-keys') {
    this.key = deriveKey(secret, purpose)
  }

  encrypt (plaintext: string, aad: string): string {
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', this.key, iv)
    cipher.setAAD(Buffer.from(aad))
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
    return [FORMAT, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join('.')
  }

  decrypt (sealed: string, kid: string, aad = kid): string {
    const [format, iv, tag, ciphertext] = sealed.split('.')
    if (format !== FORMAT || iv === undefined || tag === undefined || ciphertext === undefined) {
      throw new Error(`signing key ${kid}: unknown encryption format`)
    }
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'))
    decipher.setAAD(Buffer.from(aad))
    decipher.setAuthTag(Buffer.from(tag, 'base64url'))
    try {
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8')
    } catch {
      throw new Error(`signing key ${kid}: cannot be decrypted; is KEY_ENCRYPTION_SECRET the one it was stored with?`)
    }
  }
}

/** The configured secret, or (development only) one generated once into a file only we can read. */
export function resolveKeyEncryptionSecret (configured: string | undefined, devFile = DEV_SECRET_FILE): string {
  if (configured !== undefined) return configured
  if (existsSync(devFile)) {
    // Like ssh with its keys: a secret others can read protects nothing, so refuse it.
    if ((statSync(devFile).mode & 0o077) !== 0) throw new Error(`${devFile}: readable by other users; run chmod 600 on it`)
    const stored = readFileSync(devFile, 'utf8').trim()
    // An empty or truncated file (an interrupted first start) would derive a guessable key.
    if (Buffer.byteLength(stored) < 32) throw new Error(`${devFile}: holds no usable secret (under 32 bytes); delete it only if no signing key was stored with it`)
    return stored
  }
  mkdirSync(dirname(devFile), { recursive: true })
  const secret = randomBytes(32).toString('base64url')
  writeFileSync(devFile, `${secret}\n`, { mode: 0o600, flag: 'wx' })
  chmodSync(devFile, 0o600)
  return secret
}
