import type { TSchema } from '@sinclair/typebox'
import { ChangePasswordRequestSchema } from './account.js'
import { AdminUserPageSchema, AdminUserUpdateSchema } from './admin.js'
import { AuditEventPageSchema, AuditEventSchema } from './audit.js'
import { DeviceListSchema, DeviceSchema } from './devices.js'
import { CreateNoteRequestSchema, NotePageSchema, NoteSchema, UpdateNoteRequestSchema } from './notes.js'
import { FactorListSchema, FactorSchema, MfaChallengeSchema, MfaVerifyRequestSchema, MfaWebauthnOptionsRequestSchema, ReauthenticateRequestSchema, RecoveryCodesSchema, TotpConfirmRequestSchema, TotpEnrolmentSchema } from './mfa.js'
import { passkeySchemas } from './passkeys.js'
import { ProblemSchema } from './problem.js'
import { AcceptedSchema, AdminPasswordResetSchema, EmailChangeRequestSchema, EmailVerificationSchema, PasswordResetRequestSchema, PasswordResetSchema } from './recovery.js'
import { SessionListSchema, SessionSchema } from './sessions.js'
import { TokenResponseSchema, RefreshRequestSchema } from './tokens.js'
import { AdminUserSchema, CredentialsSchema, LoginRequestSchema, UserSchema } from './users.js'

/** Schemas with an $id: added once to the app, referenced by $ref, named components in OpenAPI. */
export const sharedSchemas: TSchema[] = [
  ProblemSchema,
  UserSchema,
  AdminUserSchema,
  CredentialsSchema,
  LoginRequestSchema,
  TokenResponseSchema,
  RefreshRequestSchema,
  MfaChallengeSchema,
  MfaVerifyRequestSchema,
  TotpEnrolmentSchema,
  TotpConfirmRequestSchema,
  RecoveryCodesSchema,
  FactorSchema,
  FactorListSchema,
  ReauthenticateRequestSchema,
  MfaWebauthnOptionsRequestSchema,
  SessionSchema,
  SessionListSchema,
  DeviceSchema,
  DeviceListSchema,
  ChangePasswordRequestSchema,
  AdminUserPageSchema,
  AdminUserUpdateSchema,
  AuditEventSchema,
  AuditEventPageSchema,
  NoteSchema,
  CreateNoteRequestSchema,
  UpdateNoteRequestSchema,
  NotePageSchema,
  // Passkeys (issue 12).
  ...passkeySchemas,
  // Email and recovery (issue 13).
  AcceptedSchema,
  EmailChangeRequestSchema,
  EmailVerificationSchema,
  PasswordResetRequestSchema,
  PasswordResetSchema,
  AdminPasswordResetSchema
]
