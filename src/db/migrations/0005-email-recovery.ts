import type { Kysely, Migration } from 'kysely'

/**
 * Issue 13, verified email and account recovery:
 * - users.email (the verified address, as the user typed it), users.email_normalized (lower
 *   case, unique: one address belongs to at most one account, compared case-insensitively) and
 *   users.email_verified (0/1). An address is stored here only once verified (K8); a pending
 *   change lives in recovery_tokens until its link is used.
 * - recovery_tokens: single-use tokens sent by mail or handed over by an administrator
 *   (purpose 'email_verification' or 'password_reset'). Only the SHA-256 of the 256-bit token
 *   is kept (K7); consumed_at makes it single use through a conditional UPDATE.
 */
export const emailRecoveryMigration: Migration = {
  async up (db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('users').addColumn('email', 'text').execute()
    await db.schema.alterTable('users').addColumn('email_normalized', 'text').execute()
    await db.schema.alterTable('users').addColumn('email_verified', 'integer', (col) => col.notNull().defaultTo(0)).execute()
    // NULLs never collide in a unique index (SQLite and PostgreSQL alike): accounts without an address are fine.
    await db.schema.createIndex('users_email_normalized').unique().on('users').column('email_normalized').execute()

    await db.schema.createTable('recovery_tokens')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('purpose', 'text', (col) => col.notNull())
      .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
      .addColumn('token_hash', 'text', (col) => col.notNull().unique())
      .addColumn('email', 'text')
      .addColumn('expires_at', 'text', (col) => col.notNull())
      .addColumn('consumed_at', 'text')
      .addColumn('created_at', 'text', (col) => col.notNull())
      .addColumn('created_by', 'text')
      .execute()
    await db.schema.createIndex('recovery_tokens_user_purpose').on('recovery_tokens').columns(['user_id', 'purpose', 'created_at']).execute()
    await db.schema.createIndex('recovery_tokens_expires_at').on('recovery_tokens').column('expires_at').execute()
  },

  async down (db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('recovery_tokens').ifExists().execute()
    await db.schema.dropIndex('users_email_normalized').ifExists().execute()
    await db.schema.alterTable('users').dropColumn('email_verified').execute()
    await db.schema.alterTable('users').dropColumn('email_normalized').execute()
    await db.schema.alterTable('users').dropColumn('email').execute()
  }
}
