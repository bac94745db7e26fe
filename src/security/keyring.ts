import type { JsonWebKey } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database, SigningKeyRow } from '../db/schema.js'
import { insertKey, listUsableKeys, resealKey, retireKey } from '../repositories/signing-keys.js'
import { signingKeyAad, type KeyEncryption } from './key-encryption.js'
import { generateSigningKey, hmacKid, publicJwkFromPrivatePem, publicPemFromJwk, samePublicKey, type AsymmetricAlg, type JwtAlg } from './signing-keys.js'

export interface SigningMaterial {
  kid: string
  /** PEM private key, or the HS256 secret. */
  key: string
}

interface LoadedKey {
  kid: string
  /** Key material derived from the private key: the only public key trusted. */
  derivedJwk: JsonWebKey
  publicPem: string
  publicJwk: JsonWebKey
  privatePem: string
  signsFrom: number
}

/**
 * The set of signing keys shared by every instance through the database. A rotated key is
 * published first and signs only from `signs_from`, which lies two refresh intervals ahead,
 * so every instance can verify it before any instance signs with it.
 */
export interface Keyring {
  readonly alg: JwtAlg
  signingKey: () => SigningMaterial
  /** The verification key (PEM or secret) for a kid, or undefined when it is not a usable key. */
  verificationKey: (kid: unknown) => string | undefined
  /** Like verificationKey, but an unknown kid of our own shape may first reload the set (rate-limited). */
  resolveVerificationKey: (kid: unknown) => Promise<string | undefined>
  /** Public keys that may still verify, for the JWKS endpoint; undefined under HS256. */
  jwks: () => JsonWebKey[] | undefined
  reload: () => Promise<void>
}

export function createHmacKeyring (secret: string): Keyring {
  const kid = hmacKid(secret)
  return {
    alg: 'HS256',
    signingKey: () => ({ kid, key: secret }),
    verificationKey: (candidate) => candidate === kid ? secret : undefined,
    resolveVerificationKey: async (candidate) => candidate === kid ? secret : undefined,
    jwks: () => undefined,
    reload: async () => {}
  }
}

/** Our kids are random UUIDs: nothing else can name a key we might not have loaded yet. */
const OWN_KID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
/** However many unknown kids arrive, the key set is reloaded for them at most this often. */
const UNKNOWN_KID_RELOAD_MS = 5000

export class DatabaseKeyring implements Keyring {
  private keys = new Map<string, LoadedKey>()
  private lastUnknownKidReload = 0

  constructor (
    private readonly db: Kysely<Database>,
    readonly alg: AsymmetricAlg,
    private readonly encryption: KeyEncryption
  ) {}

  /** Creates the first key on a fresh database, then loads the set. */
  async init (): Promise<void> {
    if ((await listUsableKeys(this.db, this.alg)).length === 0) {
      await addSigningKey(this.db, this.alg, this.encryption, 0)
    }
    await this.reload()
  }

  /**
   * Loads the usable keys. Each one verifies itself: the public key served and trusted is the
   * one derived from the decrypted private key, and a stored public part that disagrees (a
   * database write that swapped it) stops the load with an error instead of being published.
   * At start that stops the start; a periodic reload keeps the set it had.
   */
  async reload (): Promise<void> {
    const rows = await listUsableKeys(this.db, this.alg)
    const next = new Map<string, LoadedKey>()
    for (const row of rows) {
      const cached = this.keys.get(row.kid)
      const privatePem = cached?.privatePem ?? await this.unseal(row)
      const derived = cached?.derivedJwk ?? publicJwkFromPrivatePem(privatePem)
      const stored = JSON.parse(row.public_jwk) as JsonWebKey
      if (!samePublicKey(stored, derived)) {
        throw new Error(`signing key ${row.kid}: the stored public key does not match its private key; refusing to load the key set (was the signing_keys table edited?)`)
      }
      next.set(row.kid, {
        kid: row.kid,
        derivedJwk: derived,
        publicJwk: { ...derived, kid: row.kid, alg: row.alg, use: 'sig' },
        publicPem: cached?.publicPem ?? publicPemFromJwk(derived),
        privatePem,
        signsFrom: Date.parse(row.signs_from)
      })
    }
    this.keys = next
  }

  /** Decrypts a stored key; one sealed the old way (kid-only AAD) is resealed with kid, alg and use. */
  private async unseal (row: SigningKeyRow): Promise<string> {
    if (row.aad_version === 1) return this.encryption.decrypt(row.private_key, row.kid, signingKeyAad(row.kid, row.alg))
    const privatePem = this.encryption.decrypt(row.private_key, row.kid)
    await resealKey(this.db, row.kid, this.encryption.encrypt(privatePem, signingKeyAad(row.kid, row.alg)))
    return privatePem
  }

  signingKey (): SigningMaterial {
    const now = Date.now()
    let chosen: LoadedKey | undefined
    for (const key of this.keys.values()) {
      if (key.signsFrom <= now && (chosen === undefined || key.signsFrom >= chosen.signsFrom)) chosen = key
    }
    // Before a rotated key's time, or if every key is in the future, the oldest key signs.
    chosen ??= [...this.keys.values()][0]
    if (chosen === undefined) throw new Error('no signing key is loaded')
    return { kid: chosen.kid, key: chosen.privatePem }
  }

  verificationKey (kid: unknown): string | undefined {
    return typeof kid === 'string' ? this.keys.get(kid)?.publicPem : undefined
  }

  /**
   * A token signed by a key this instance has not loaded yet (two instances creating the first
   * key at once on an empty database) triggers one reload instead of a rejection until the next
   * periodic one. Only UUID-shaped kids qualify, at most once per UNKNOWN_KID_RELOAD_MS, so a
   * flood of forged kids costs no more than one query every few seconds (A4).
   */
  async resolveVerificationKey (kid: unknown): Promise<string | undefined> {
    const known = this.verificationKey(kid)
    if (known !== undefined || typeof kid !== 'string' || !OWN_KID.test(kid)) return known
    const now = Date.now()
    if (now - this.lastUnknownKidReload < UNKNOWN_KID_RELOAD_MS) return undefined
    this.lastUnknownKidReload = now
    await this.reload()
    return this.verificationKey(kid)
  }

  jwks (): JsonWebKey[] {
    return [...this.keys.values()].map((key) => key.publicJwk)
  }
}

/**
 * How far ahead a rotated key should start signing: every instance reloads the key set within
 * one KEY_REFRESH_INTERVAL, and outside verifiers may cache the JWKS for one more (its max-age),
 * so two intervals plus a few seconds for clock skew between hosts (signs_from is absolute).
 */
export function activationDelayFor (keyRefreshIntervalSeconds: number): number {
  return 2 * keyRefreshIntervalSeconds + 5
}

/** Stores a new key that signs `activationDelaySeconds` from now (see activationDelayFor); returns its kid. */
export async function addSigningKey (db: Kysely<Database>, alg: AsymmetricAlg, encryption: KeyEncryption, activationDelaySeconds: number): Promise<string> {
  const generated = generateSigningKey(alg)
  const now = new Date()
  await insertKey(db, {
    kid: generated.kid,
    alg,
    public_jwk: JSON.stringify(generated.publicJwk),
    private_key: encryption.encrypt(generated.privatePem, signingKeyAad(generated.kid, alg)),
    created_at: now.toISOString(),
    signs_from: new Date(now.getTime() + activationDelaySeconds * 1000).toISOString(),
    retired_at: null,
    aad_version: 1
  })
  return generated.kid
}

/** 'last-signing-key': the kid is the key that signs now (the newest active one), so it cannot go yet. */
export type RetireOutcome = 'retired' | 'unknown' | 'last-signing-key'

/**
 * Retires a key: it leaves the JWKS and its tokens stop verifying once instances reload (at
 * most two KEY_REFRESH_INTERVALs: one to reload, one for the verify cache). Refused for the
 * key that signs now, not only when it is the last one: instances that have not reloaded yet
 * would keep issuing tokens the others reject, and an older key would silently take over
 * signing. Rotate first, wait until the new key signs, then retire the superseded key.
 */
export async function retireSigningKey (db: Kysely<Database>, alg: AsymmetricAlg, kid: string): Promise<RetireOutcome> {
  const keys = await listUsableKeys(db, alg)
  if (!keys.some((key) => key.kid === kid)) return 'unknown'
  const now = new Date().toISOString()
  // listUsableKeys is ordered by signs_from, kid: the last active key is the one signingKey() picks.
  const signingNow = keys.filter((key) => key.signs_from <= now)
  if (signingNow.length === 0 || signingNow.at(-1)?.kid === kid) return 'last-signing-key'
  return await retireKey(db, kid, now) ? 'retired' : 'unknown'
}
