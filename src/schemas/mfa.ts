import { Type, type Static } from '@sinclair/typebox'
import { PASSWORD_MAX_LENGTH } from '../security/password-policy.js'
import { Timestamp, Uuid } from './common.js'
import { MFA_TOKEN_TTL_SECONDS } from '../repositories/mfa-challenges.js'
import { RECOVERY_CODE_COUNT } from '../security/recovery-codes.js'

const MfaMethodSchema = Type.Union([Type.Literal('totp'), Type.Literal('webauthn'), Type.Literal('recovery_code')])
const TotpCode = Type.String({ pattern: '^[0-9]{6}$', minLength: 6, maxLength: 6, description: 'The 6-digit code your authenticator app shows now', examples: ['123456'] })
const RecoveryCode = Type.String({ minLength: 1, maxLength: 64, description: 'One of your recovery codes (dashes and case do not matter); each works once', examples: ['abcd-efgh-ijkl-mnop'] })
const MfaToken = Type.String({ minLength: 1, maxLength: 128, description: 'The mfa_token of the MfaChallenge that POST /auth/login answered' })

export const MfaChallengeSchema = Type.Object({
  mfa_required: Type.Literal(true),
  mfa_token: Type.String({ maxLength: 64, description: 'Single use, bound to this account and this password step; send it with the second factor to POST /auth/mfa/verify' }),
  expires_in: Type.Integer({ minimum: 1, maximum: MFA_TOKEN_TTL_SECONDS, description: 'Seconds left to finish the login', examples: [MFA_TOKEN_TTL_SECONDS] }),
  methods: Type.Array(MfaMethodSchema, { minItems: 1, maxItems: 3, uniqueItems: true, description: 'The second factors this account can finish with' })
}, {
  $id: 'MfaChallenge',
  title: 'MfaChallenge',
  description: 'The password was right and the account has a second factor: no tokens yet. Finish at POST /auth/mfa/verify.',
  additionalProperties: false,
  examples: [{ mfa_required: true, mfa_token: 'kM0v3…', expires_in: 300, methods: ['totp', 'recovery_code'] }]
})

export const MfaVerifyRequestSchema = Type.Object({
  mfa_token: MfaToken,
  code: Type.Optional(TotpCode),
  recovery_code: Type.Optional(RecoveryCode)
}, {
  $id: 'MfaVerifyRequest',
  title: 'MfaVerifyRequest',
  description: 'The mfa_token and exactly one second factor: a TOTP code or a recovery code',
  additionalProperties: false,
  oneOf: [{ required: ['code'] }, { required: ['recovery_code'] }],
  examples: [{ mfa_token: 'kM0v3…', code: '123456' }, { mfa_token: 'kM0v3…', recovery_code: 'abcd-efgh-ijkl-mnop' }]
})

export const TotpEnrolmentSchema = Type.Object({
  factor_id: Uuid,
  secret: Type.String({ maxLength: 64, description: 'The shared secret in base32, for typing into an authenticator app; shown once' }),
  otpauth_uri: Type.String({ maxLength: 512, description: 'The same secret as an otpauth:// URI (Key Uri Format), for a QR code' })
}, {
  $id: 'TotpEnrolment',
  title: 'TotpEnrolment',
  description: 'An unconfirmed TOTP factor: add it to your authenticator app, then confirm it with a code',
  additionalProperties: false
})

export const TotpConfirmRequestSchema = Type.Object({
  code: TotpCode
}, { $id: 'TotpConfirmRequest', title: 'TotpConfirmRequest', additionalProperties: false, examples: [{ code: '123456' }] })

export const RecoveryCodesSchema = Type.Object({
  recovery_codes: Type.Array(Type.String({ maxLength: 32 }), { minItems: RECOVERY_CODE_COUNT, maxItems: RECOVERY_CODE_COUNT, description: 'Shown only this once; each works once. Store them offline.' })
}, {
  $id: 'RecoveryCodes',
  title: 'RecoveryCodes',
  description: 'A new set of recovery codes; any earlier set has stopped working',
  additionalProperties: false
})

export const FactorSchema = Type.Object({
  id: Uuid,
  type: Type.Union([Type.Literal('totp'), Type.Literal('webauthn')]),
  name: Type.String({ maxLength: 64 }),
  created_at: Timestamp,
  last_used_at: Type.Union([Timestamp, Type.Null()], { description: 'Last sign-in or step-up with it, or null' })
}, { $id: 'Factor', title: 'Factor', description: 'A confirmed second factor', additionalProperties: false })

export const FactorListSchema = Type.Object({
  items: Type.Array(Type.Ref(FactorSchema), { maxItems: 50 })
}, { $id: 'FactorList', title: 'FactorList', description: 'The caller\'s confirmed second factors, oldest first', additionalProperties: false })

export const ReauthenticateRequestSchema = Type.Object({
  password: Type.Optional(Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH, description: 'Accounts without a second factor' })),
  code: Type.Optional(TotpCode),
  recovery_code: Type.Optional(RecoveryCode)
}, {
  $id: 'ReauthenticateRequest',
  title: 'ReauthenticateRequest',
  description: 'Exactly one proof: the password (accounts without a second factor), or a second factor (accounts with one)',
  additionalProperties: false,
  oneOf: [{ required: ['password'] }, { required: ['code'] }, { required: ['recovery_code'] }],
  examples: [{ password: 'correct horse battery staple' }, { code: '123456' }]
})

export type MfaChallenge = Static<typeof MfaChallengeSchema>
export type Factor = Static<typeof FactorSchema>
