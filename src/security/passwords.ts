import { randomBytes } from 'node:crypto'
import argon2 from 'argon2'
import { Semaphore } from '../lib/semaphore.js'

export interface Argon2Settings {
  memoryKiB: number
  timeCost: number
  parallelism: number
  maxConcurrency: number
  maxQueue: number
}

/**
 * node-argon2 0.4x writes the parameters as m,p,t; the Argon2 PHC encoding requires m,t,p and
 * libsodium and the reference decoder refuse any other order (ranisalt/node-argon2#559), so
 * stored hashes are written in the standard order to stay verifiable outside Node.
 */
export function canonicalPhc (hash: string): string {
  return hash.replace(/^(\$argon2(?:id|i|d)\$v=\d+\$)m=(\d+),p=(\d+),t=(\d+)\$/, '$1m=$2,t=$4,p=$3$$')
}

/**
 * argon2id with explicit parameters (OWASP Password Storage Cheat Sheet: m=19 MiB, t=2, p=1 at
 * least), hashes stored as PHC strings, and a semaphore so hashing cannot take every thread.
 */
export class PasswordHasher {
  private readonly options: argon2.HashOptions
  private readonly gate: Semaphore
  private dummyHash: string | undefined

  constructor (settings: Argon2Settings) {
    this.options = {
      type: argon2.argon2id,
      memoryCost: settings.memoryKiB,
      timeCost: settings.timeCost,
      parallelism: settings.parallelism
    }
    this.gate = new Semaphore(settings.maxConcurrency, settings.maxQueue)
  }

  /** Made at start-up with the same parameters, so unknown users cost one real verify (D2). */
  async init (): Promise<void> {
    this.dummyHash = await this.hash(randomBytes(32).toString('base64url'))
  }

  async hash (password: string): Promise<string> {
    return canonicalPhc(await this.gate.run(async () => await argon2.hash(password, this.options)))
  }

  async verify (hash: string, password: string): Promise<boolean> {
    return await this.gate.run(async () => {
      try {
        return await argon2.verify(hash, password)
      } catch {
        // A malformed stored hash is a failed login, never a 500 that tells the caller more.
        return false
      }
    })
  }

  /** Spends the same work as a real verify and always fails. */
  async verifyDummy (password: string): Promise<false> {
    if (this.dummyHash === undefined) throw new Error('PasswordHasher.init() was not awaited')
    await this.verify(this.dummyHash, password)
    return false
  }

  needsRehash (hash: string): boolean {
    try {
      return argon2.needsRehash(hash, this.options)
    } catch {
      return true
    }
  }
}
