import type { Kysely, Migration } from 'kysely'

/**
 * Second factors (issue 11, K1-K3):
 * - mfa_factors: TOTP secrets, encrypted at rest (AES-256-GCM, bound to the factor id).
 *   `last_used_step` is the RFC 6238 time step of the last accepted code: a code is accepted
 *   only for a later step, with a conditional update, so it works once (K1).
 * - recovery_codes: SHA-256 of 80-bit random codes, single use (K2).
 * - mfa_challenges: the step between a right password and a session. The token is 256 random
 *   bits stored as a hash, bound to the user and to the epoch the password step read, lives
 *   at most 5 minutes and is consumed in the transaction that creates the session (K3).
 */
export const secondFactorsMigration: Migration = {
  async up (db: Kysely<unknown>): Promise<void> {
    await db.schema.createTable('mfa_factors')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
      .addColumn('type', 'text', (col) => col.notNull())
      .addColumn('name', 'text', (col) => col.notNull())
      .addColumn('secret_encrypted', 'text', (col) => col.notNull())
      .addColumn('confirmed_at', 'text')
      .addColumn('last_used_step', 'integer', (col) => col.notNull().defaultTo(0))
      .addColumn('created_at', 'text', (col) => col.notNull())
      .addColumn('last_used_at', 'text')
      .execute()
    await db.schema.createIndex('mfa_factors_user_id').on('mfa_factors').column('user_id').execute()

    await db.schema.createTable('recovery_codes')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
      .addColumn('code_hash', 'text', (col) => col.notNull().unique())
      .addColumn('created_at', 'text', (col) => col.notNull())
      .addColumn('used_at', 'text')
      .execute()
    await db.schema.createIndex('recovery_codes_user_id').on('recovery_codes').column('user_id').execute()

    await db.schema.createTable('mfa_challenges')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('token_hash', 'text', (col) => col.notNull().unique())
      .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
      .addColumn('auth_version', 'integer', (col) => col.notNull())
      .addColumn('password_at', 'text', (col) => col.notNull())
      .addColumn('device_id', 'text')
      .addColumn('failed_attempts', 'integer', (col) => col.notNull().defaultTo(0))
      .addColumn('created_at', 'text', (col) => col.notNull())
      .addColumn('expires_at', 'text', (col) => col.notNull())
      .addColumn('consumed_at', 'text')
      .execute()
    await db.schema.createIndex('mfa_challenges_expires_at').on('mfa_challenges').column('expires_at').execute()
  },

  async down (db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('mfa_challenges').ifExists().execute()
    await db.schema.dropTable('recovery_codes').ifExists().execute()
    await db.schema.dropTable('mfa_factors').ifExists().execute()
  }
}
