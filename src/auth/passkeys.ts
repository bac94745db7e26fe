import { randomBytes } from 'node:crypto'
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
  VerifiedAuthenticationResponse,
  VerifiedRegistrationResponse
} from '@simplewebauthn/server'
import type { Kysely } from 'kysely'
import type { AuditRow } from '../audit/audit-event.js'
import { insertAuditRows } from '../audit/audit-store.js'
import { splitList, type Config } from '../config.js'
import type { Database, PasskeyRow } from '../db/schema.js'
import {
  countUserPasskeys,
  findPasskeyByCredentialId,
  insertPasskey,
  listUserPasskeys,
  recordPasskeyUse
} from '../repositories/passkeys.js'
import { CHALLENGE_TTL_SECONDS, consumeChallenge, storeChallenge } from '../repositories/webauthn-challenges.js'
import { webauthnLibrary } from './webauthn-library.js'

/**
 * Passkeys (WebAuthn, issue 12): plain functions over the database and @simplewebauthn/server,
 * which does every CBOR, COSE and signature check (no hand-written parsing here). The
 * passwordless login ceremony is in ./passkey-login.ts; the MFA step and reauthentication
 * call passkeyOptionsForUser and verifyPasskeyOfUser.
 */
export interface RelyingParty {
  /** The RP ID: the domain passkeys are bound to (WEBAUTHN_RP_ID). */
  id: string
  name: string
  /** Every origin a ceremony may come from (WEBAUTHN_ORIGINS), exact. */
  origins: string[]
}

export function relyingParty (config: Pick<Config, 'WEBAUTHN_RP_ID' | 'WEBAUTHN_RP_NAME' | 'WEBAUTHN_ORIGINS'>): RelyingParty {
  return { id: config.WEBAUTHN_RP_ID, name: config.WEBAUTHN_RP_NAME, origins: splitList(config.WEBAUTHN_ORIGINS) }
}

/** COSE algorithms accepted: EdDSA (-8), ES256 (-7), RS256 (-257); never whatever else a library default adds. */
export const SUPPORTED_ALGORITHM_IDS = [-8, -7, -257]
/** The browser's timeout matches the stored challenge's life (K6). */
const CEREMONY_TIMEOUT_MS = CHALLENGE_TTL_SECONDS * 1000

/** 32 random bytes (WebAuthn §13.4.3 asks for at least 16). */
function newChallenge (): Uint8Array<ArrayBuffer> {
  return new Uint8Array(randomBytes(32))
}

/** The WebAuthn user handle: the user's random UUID (no personal data, §14.6.1), as bytes. */
export function userHandleOf (userId: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(userId, 'utf8'))
}

function parseTransports (stored: string): string[] {
  const parsed: unknown = JSON.parse(stored)
  return Array.isArray(parsed) ? parsed.filter((value): value is string => typeof value === 'string') : []
}

function descriptorOf (passkey: PasskeyRow): { id: string, transports: string[] } {
  return { id: passkey.credential_id, transports: parseTransports(passkey.transports) }
}

/**
 * The challenge a response carries in its clientDataJSON, or undefined when that is not
 * base64url JSON with a string challenge. Only used to find the stored challenge: the library
 * checks the same value again, with the signature.
 */
export function challengeOf (response: { response: { clientDataJSON: string } }): string | undefined {
  try {
    const clientData: unknown = JSON.parse(Buffer.from(response.response.clientDataJSON, 'base64url').toString('utf8'))
    const challenge = (clientData as { challenge?: unknown } | null)?.challenge
    return typeof challenge === 'string' && /^[A-Za-z0-9_-]{1,128}$/.test(challenge) ? challenge : undefined
  } catch {
    return undefined
  }
}

// ---------------------------------------------------------------------------------------------
// Registration

/** Creation options for a new passkey of the user: discoverable, user-verifying, not one they already have. */
export async function registrationOptions (
  db: Kysely<Database>,
  rp: RelyingParty,
  user: { id: string, username: string },
  now: Date
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const existing = await listUserPasskeys(db, user.id)
  const webauthn = await webauthnLibrary()
  const options = await webauthn.generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userName: user.username,
    userDisplayName: user.username,
    userID: userHandleOf(user.id),
    challenge: newChallenge(),
    timeout: CEREMONY_TIMEOUT_MS,
    attestationType: 'none',
    excludeCredentials: existing.map(descriptorOf),
    // A passkey: a discoverable credential that verifies its user, so it can sign in alone.
    authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
    supportedAlgorithmIDs: SUPPORTED_ALGORITHM_IDS
  })
  await storeChallenge(db, { challenge: options.challenge, purpose: 'registration', userId: user.id }, now)
  return options
}

export type RegistrationOutcome =
  | { outcome: 'registered', passkey: PasskeyRow, audit: AuditRow }
  | { outcome: 'refused', reason: string }

/**
 * Verifies a registration response against a registration challenge of this user (consumed,
 * single use) and the relying party (origin, RP ID, user verification, algorithm), then stores
 * the credential and its audit row in one transaction. A credential id that exists already
 * throws CredentialTakenError; a full quota PasskeyQuotaExceededError.
 */
export async function registerPasskey (
  db: Kysely<Database>,
  rp: RelyingParty,
  userId: string,
  input: { response: RegistrationResponseJSON, name?: string },
  now: Date,
  auditRow: (passkey: PasskeyRow) => AuditRow
): Promise<RegistrationOutcome> {
  const challenge = challengeOf(input.response)
  if (challenge === undefined) return { outcome: 'refused', reason: 'malformed client data' }
  if (!await consumeChallenge(db, { challenge, purpose: 'registration', userId }, now)) {
    return { outcome: 'refused', reason: 'unknown, used, expired or foreign challenge' }
  }
  let verification: VerifiedRegistrationResponse
  try {
    const webauthn = await webauthnLibrary()
    verification = await webauthn.verifyRegistrationResponse({
      response: input.response,
      expectedChallenge: challenge,
      expectedOrigin: rp.origins,
      expectedRPID: rp.id,
      requireUserVerification: true,
      supportedAlgorithmIDs: SUPPORTED_ALGORITHM_IDS
    })
  } catch (error) {
    // The library's message stays in our audit trail, never in the answer (B4).
    return { outcome: 'refused', reason: `verification failed: ${error instanceof Error ? error.message.slice(0, 200) : 'unknown'}` }
  }
  if (!verification.verified) return { outcome: 'refused', reason: 'attestation not verified' }
  const info = verification.registrationInfo
  const count = await countUserPasskeys(db, userId)
  const name = input.name ?? `Passkey ${count + 1}`
  return await db.transaction().execute(async (trx) => {
    const passkey = await insertPasskey(trx, {
      userId,
      credentialId: info.credential.id,
      publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
      counter: info.credential.counter,
      transports: input.response.response.transports ?? info.credential.transports ?? [],
      deviceType: info.credentialDeviceType,
      backedUp: info.credentialBackedUp,
      name
    }, now)
    const audit = auditRow(passkey)
    await insertAuditRows(trx, [audit])
    return { outcome: 'registered' as const, passkey, audit }
  })
}

// ---------------------------------------------------------------------------------------------
// Assertions

export type AssertionCheck =
  | { verified: true, userVerified: boolean }
  | { verified: false, reason: string }

/**
 * Checks an assertion of a stored passkey against an already consumed challenge: origin, RP ID,
 * user presence (and verification when required), signature, and a counter that must grow when
 * the authenticator keeps one (K6). Records the new counter only while the stored one is still
 * the one compared against, so two assertions cannot both pass on one counter value.
 */
export async function checkAssertion (
  db: Kysely<Database>,
  rp: RelyingParty,
  passkey: PasskeyRow,
  challenge: string,
  response: AuthenticationResponseJSON,
  requireUserVerification: boolean,
  now: Date
): Promise<AssertionCheck> {
  const storedCounter = Number(passkey.counter)
  let result: VerifiedAuthenticationResponse
  try {
    const webauthn = await webauthnLibrary()
    result = await webauthn.verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: rp.origins,
      expectedRPID: rp.id,
      credential: { id: passkey.credential_id, publicKey: new Uint8Array(Buffer.from(passkey.public_key, 'base64url')), counter: storedCounter },
      requireUserVerification
    })
  } catch (error) {
    return { verified: false, reason: `verification failed: ${error instanceof Error ? error.message.slice(0, 200) : 'unknown'}` }
  }
  if (!result.verified) return { verified: false, reason: 'signature not verified' }
  const info = result.authenticationInfo
  if (!await recordPasskeyUse(db, passkey.id, storedCounter, info.newCounter, info.credentialBackedUp, now)) {
    return { verified: false, reason: 'counter changed meanwhile (concurrent assertion)' }
  }
  return { verified: true, userVerified: info.userVerified }
}

/**
 * Request options for a second factor or a reauthentication of a known user: their passkeys
 * only, the challenge bound to them. User verification is preferred, not required: after a
 * password, possession of the authenticator is the second factor (RFC 8176 `hwk`).
 */
export async function passkeyOptionsForUser (db: Kysely<Database>, rp: RelyingParty, userId: string, now: Date): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const passkeys = await listUserPasskeys(db, userId)
  const webauthn = await webauthnLibrary()
  const options = await webauthn.generateAuthenticationOptions({
    rpID: rp.id,
    allowCredentials: passkeys.map(descriptorOf),
    challenge: newChallenge(),
    timeout: CEREMONY_TIMEOUT_MS,
    userVerification: 'preferred'
  })
  await storeChallenge(db, { challenge: options.challenge, purpose: 'authentication', userId }, now)
  return options
}

/**
 * Verifies an assertion for a known user (the MFA step, reauthentication): the challenge is
 * found by the value inside clientDataJSON and consumed only if it is bound to this user; the
 * credential must be one of theirs. Null on any failure, whichever it was. `userVerified` says
 * whether the authenticator verified the user too (RFC 8176 `user`).
 */
export async function verifyPasskeyOfUser (
  db: Kysely<Database>,
  rp: RelyingParty,
  userId: string,
  response: AuthenticationResponseJSON,
  now: Date
): Promise<{ passkeyId: string, userVerified: boolean } | null> {
  const challenge = challengeOf(response)
  if (challenge === undefined) return null
  if (!await consumeChallenge(db, { challenge, purpose: 'authentication', userId }, now)) return null
  const passkey = await findPasskeyByCredentialId(db, response.id)
  if (passkey === undefined || passkey.user_id !== userId) return null
  const check = await checkAssertion(db, rp, passkey, challenge, response, false, now)
  return check.verified ? { passkeyId: passkey.id, userVerified: check.userVerified } : null
}

/** Request options for a passwordless login: any discoverable credential, user verification required (K6). */
export async function discoverableLoginOptions (
  db: Kysely<Database>,
  rp: RelyingParty,
  now: Date
): Promise<{ options: PublicKeyCredentialRequestOptionsJSON, challengeId: string }> {
  const webauthn = await webauthnLibrary()
  const options = await webauthn.generateAuthenticationOptions({
    rpID: rp.id,
    challenge: newChallenge(),
    timeout: CEREMONY_TIMEOUT_MS,
    userVerification: 'required'
  })
  const challengeId = await storeChallenge(db, { challenge: options.challenge, purpose: 'authentication', userId: null }, now)
  return { options, challengeId }
}

export async function userHasPasskeys (db: Kysely<Database>, userId: string): Promise<boolean> {
  return await countUserPasskeys(db, userId) > 0
}

export async function listPasskeys (db: Kysely<Database>, userId: string): Promise<PasskeyRow[]> {
  return await listUserPasskeys(db, userId)
}
