import { Type, type Static } from '@sinclair/typebox'
import { MAX_PASSKEYS_PER_USER } from '../repositories/passkeys.js'
import { Timestamp, Uuid } from './common.js'

/**
 * WebAuthn Level 3 JSON shapes (§5.1 toJSON, the shapes @simplewebauthn/browser sends and
 * takes), as named components. Loose where browsers differ (extensions, authenticatorAttachment,
 * the optional attestation fields), bounded everywhere (lengths, item counts), and strict about
 * unknown members of our own request bodies.
 */
const base64url = (maxLength: number, description: string) => Type.String({ minLength: 1, maxLength, pattern: '^[A-Za-z0-9_-]+$', description })

/** Credential ids are at most 1023 bytes (WebAuthn §4), 1364 base64url characters. */
const CredentialId = base64url(1400, 'The credential id, base64url')
const Transport = Type.String({ maxLength: 32, description: 'An AuthenticatorTransport: usb, nfc, ble, smart-card, hybrid, internal, ...' })
const Transports = Type.Array(Transport, { maxItems: 8 })
const ClientExtensionResults = Type.Object({}, {
  additionalProperties: true,
  maxProperties: 16,
  description: 'Client extension outputs (credProps, prf, ...), passed through as the browser sent them'
})
const AuthenticatorAttachment = Type.Union([Type.Literal('platform'), Type.Literal('cross-platform')])
const CredentialType = Type.Literal('public-key')

export const RegistrationResponseSchema = Type.Object({
  id: CredentialId,
  rawId: CredentialId,
  type: CredentialType,
  response: Type.Object({
    clientDataJSON: base64url(4096, 'The client data the browser signed over, base64url'),
    attestationObject: base64url(32768, 'CBOR attestation object, base64url'),
    authenticatorData: Type.Optional(base64url(16384, 'Authenticator data, base64url')),
    transports: Type.Optional(Transports),
    publicKeyAlgorithm: Type.Optional(Type.Integer({ format: 'int32', minimum: -65536, maximum: 65536, description: 'COSE algorithm of the new key' })),
    publicKey: Type.Optional(base64url(4096, 'The SubjectPublicKeyInfo of the new key, base64url'))
  }, { additionalProperties: false }),
  authenticatorAttachment: Type.Optional(AuthenticatorAttachment),
  clientExtensionResults: ClientExtensionResults
}, { $id: 'RegistrationResponseJSON', title: 'RegistrationResponseJSON', description: 'What navigator.credentials.create() returned, as PublicKeyCredential.toJSON() (or @simplewebauthn/browser startRegistration) gives it', additionalProperties: false })

export const AuthenticationResponseSchema = Type.Object({
  id: CredentialId,
  rawId: CredentialId,
  type: CredentialType,
  response: Type.Object({
    clientDataJSON: base64url(4096, 'The client data the browser signed over, base64url'),
    authenticatorData: base64url(16384, 'Authenticator data, base64url'),
    signature: base64url(2048, 'The assertion signature, base64url'),
    userHandle: Type.Optional(Type.String({ maxLength: 128, pattern: '^[A-Za-z0-9_-]*$', description: 'The user handle of a discoverable credential, base64url' }))
  }, { additionalProperties: false }),
  authenticatorAttachment: Type.Optional(AuthenticatorAttachment),
  clientExtensionResults: ClientExtensionResults
}, { $id: 'AuthenticationResponseJSON', title: 'AuthenticationResponseJSON', description: 'What navigator.credentials.get() returned, as PublicKeyCredential.toJSON() (or @simplewebauthn/browser startAuthentication) gives it', additionalProperties: false })

const CredentialDescriptor = Type.Object({
  id: CredentialId,
  // A string, as WebAuthn's dictionary has it (always 'public-key' today).
  type: Type.String({ maxLength: 32, examples: ['public-key'] }),
  transports: Type.Optional(Transports)
}, { additionalProperties: false })

const Challenge = base64url(128, 'A random challenge, base64url: single use, valid for 5 minutes')
const Timeout = Type.Integer({ format: 'int32', minimum: 0, maximum: 600000, description: 'Milliseconds the browser may take' })
const UserVerification = Type.Union([Type.Literal('required'), Type.Literal('preferred'), Type.Literal('discouraged')])
const Hints = Type.Array(Type.Union([Type.Literal('security-key'), Type.Literal('client-device'), Type.Literal('hybrid')]), { maxItems: 3, description: 'Which kind of authenticator the browser should offer first' })
const Extensions = Type.Object({ credProps: Type.Optional(Type.Boolean()) }, { additionalProperties: false })

export const CreationOptionsSchema = Type.Object({
  rp: Type.Object({ id: Type.Optional(Type.String({ maxLength: 253 })), name: Type.String({ maxLength: 64 }) }, { additionalProperties: false }),
  user: Type.Object({
    id: base64url(128, 'The WebAuthn user handle, base64url'),
    name: Type.String({ maxLength: 64 }),
    displayName: Type.String({ maxLength: 64 })
  }, { additionalProperties: false }),
  challenge: Challenge,
  pubKeyCredParams: Type.Array(Type.Object({ alg: Type.Integer({ format: 'int32', minimum: -65536, maximum: 65536 }), type: Type.String({ maxLength: 32, examples: ['public-key'] }) }, { additionalProperties: false }), { maxItems: 8, description: 'EdDSA (-8), ES256 (-7) and RS256 (-257)' }),
  timeout: Type.Optional(Timeout),
  excludeCredentials: Type.Optional(Type.Array(CredentialDescriptor, { maxItems: MAX_PASSKEYS_PER_USER, description: 'Your passkeys already registered: an authenticator holding one refuses to make another' })),
  authenticatorSelection: Type.Optional(Type.Object({
    authenticatorAttachment: Type.Optional(AuthenticatorAttachment),
    residentKey: Type.Optional(Type.Union([Type.Literal('required'), Type.Literal('preferred'), Type.Literal('discouraged')])),
    requireResidentKey: Type.Optional(Type.Boolean()),
    userVerification: Type.Optional(UserVerification)
  }, { additionalProperties: false })),
  attestation: Type.Optional(Type.Union([Type.Literal('none'), Type.Literal('indirect'), Type.Literal('direct'), Type.Literal('enterprise')])),
  hints: Type.Optional(Hints),
  extensions: Type.Optional(Extensions)
}, { $id: 'PublicKeyCredentialCreationOptionsJSON', title: 'PublicKeyCredentialCreationOptionsJSON', description: 'Pass to navigator.credentials.create() (PublicKeyCredential.parseCreationOptionsFromJSON, or @simplewebauthn/browser startRegistration({ optionsJSON }))', additionalProperties: false })

const requestOptionsProperties = {
  challenge: Challenge,
  timeout: Type.Optional(Timeout),
  rpId: Type.Optional(Type.String({ maxLength: 253 })),
  allowCredentials: Type.Optional(Type.Array(CredentialDescriptor, { maxItems: MAX_PASSKEYS_PER_USER })),
  userVerification: Type.Optional(UserVerification),
  hints: Type.Optional(Hints)
}

export const RequestOptionsSchema = Type.Object(requestOptionsProperties, {
  $id: 'PublicKeyCredentialRequestOptionsJSON',
  title: 'PublicKeyCredentialRequestOptionsJSON',
  description: 'Pass to navigator.credentials.get() (PublicKeyCredential.parseRequestOptionsFromJSON, or @simplewebauthn/browser startAuthentication({ optionsJSON }))',
  additionalProperties: false
})

export const PasskeyLoginOptionsSchema = Type.Object({
  ...requestOptionsProperties,
  challenge_id: Type.String({ format: 'uuid', maxLength: 36, description: 'Send it back with the assertion (POST /auth/passkeys/login)' })
}, {
  $id: 'PasskeyLoginOptions',
  title: 'PasskeyLoginOptions',
  description: 'PublicKeyCredentialRequestOptionsJSON for a discoverable credential (no allowCredentials, user verification required), plus the challenge_id to send back',
  additionalProperties: false
})

const PasskeyName = Type.String({ minLength: 1, maxLength: 64, description: 'Your label for the passkey', examples: ['Laptop'] })

export const PasskeySchema = Type.Object({
  id: Uuid,
  name: PasskeyName,
  created_at: Timestamp,
  last_used_at: Type.Union([Type.String({ format: 'date-time', maxLength: 32 }), Type.Null()], { description: 'Last login or verification with this passkey (RFC 3339 UTC), null if never used' })
}, { $id: 'Passkey', title: 'Passkey', description: 'A passkey (WebAuthn credential) of yours', additionalProperties: false })

export const PasskeyListSchema = Type.Object({
  items: Type.Array(Type.Ref(PasskeySchema), { maxItems: MAX_PASSKEYS_PER_USER })
}, { $id: 'PasskeyList', title: 'PasskeyList', description: 'Your passkeys, newest first (at most 20)', additionalProperties: false })

export const RegisterPasskeyRequestSchema = Type.Object({
  response: Type.Ref(RegistrationResponseSchema),
  name: Type.Optional(PasskeyName)
}, { $id: 'RegisterPasskeyRequest', title: 'RegisterPasskeyRequest', additionalProperties: false })

export const RenamePasskeyRequestSchema = Type.Object({
  name: PasskeyName
}, { $id: 'RenamePasskeyRequest', title: 'RenamePasskeyRequest', additionalProperties: false, examples: [{ name: 'Work laptop' }] })

export const PasskeyLoginRequestSchema = Type.Object({
  challenge_id: Type.String({ format: 'uuid', maxLength: 36, description: 'The challenge_id of POST /auth/passkeys/login/options' }),
  response: Type.Ref(AuthenticationResponseSchema)
}, { $id: 'PasskeyLoginRequest', title: 'PasskeyLoginRequest', additionalProperties: false })

export const EmptyRequestSchema = Type.Object({}, { $id: 'EmptyRequest', title: 'EmptyRequest', description: 'An empty JSON object', additionalProperties: false })

export const passkeySchemas = [
  RegistrationResponseSchema,
  AuthenticationResponseSchema,
  CreationOptionsSchema,
  RequestOptionsSchema,
  PasskeyLoginOptionsSchema,
  PasskeySchema,
  PasskeyListSchema,
  RegisterPasskeyRequestSchema,
  RenamePasskeyRequestSchema,
  PasskeyLoginRequestSchema,
  EmptyRequestSchema
]

export type Passkey = Static<typeof PasskeySchema>
export type RegistrationResponse = Static<typeof RegistrationResponseSchema>
export type AuthenticationResponse = Static<typeof AuthenticationResponseSchema>
