import type { TSchema } from '@sinclair/typebox'
import { CreateNoteRequestSchema, NotePageSchema, NoteSchema, UpdateNoteRequestSchema } from './notes.js'
import { ProblemSchema } from './problem.js'
import { TokenResponseSchema, RefreshRequestSchema } from './tokens.js'
import { AdminUserSchema, CredentialsSchema, UserSchema } from './users.js'

/** Schemas with an $id: added once to the app, referenced by $ref, named components in OpenAPI. */
export const sharedSchemas: TSchema[] = [
  ProblemSchema,
  UserSchema,
  AdminUserSchema,
  CredentialsSchema,
  TokenResponseSchema,
  RefreshRequestSchema,
  NoteSchema,
  CreateNoteRequestSchema,
  UpdateNoteRequestSchema,
  NotePageSchema
]
