import type { Kysely, Migration } from 'kysely'

/**
 * Passkeys (issue 12, K6):
 * - passkeys: one WebAuthn credential of a user. credential_id (base64url) is UNIQUE across
 *   all users, so one authenticator credential can never belong to two accounts. counter is
 *   the signature counter (uint32 in WebAuthn, hence bigint), kept to refuse a regression.
 * - webauthn_challenges: every challenge the server hands out, stored so that any instance can
 *   finish a ceremony another began. A challenge is consumed by one conditional UPDATE
 *   (consumed_at IS NULL AND expires_at > now): single use, at most 5 minutes (K6). user_id is
 *   set for registration and second-factor challenges (bound to that user), null for the
 *   discoverable-credential login, where nobody is known yet.
 */
export const passkeysMigration: Migration = {
  async up (db: Kysely<unknown>): Promise<void> {
    await db.schema.createTable('passkeys')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
      .addColumn('credential_id', 'text', (col) => col.notNull().unique())
      .addColumn('public_key', 'text', (col) => col.notNull())
      .addColumn('counter', 'bigint', (col) => col.notNull().defaultTo(0))
      .addColumn('transports', 'text', (col) => col.notNull().defaultTo('[]'))
      .addColumn('device_type', 'text', (col) => col.notNull())
      .addColumn('backed_up', 'integer', (col) => col.notNull().defaultTo(0))
      .addColumn('name', 'text', (col) => col.notNull())
      .addColumn('created_at', 'text', (col) => col.notNull())
      .addColumn('last_used_at', 'text')
      .execute()
    await db.schema.createIndex('passkeys_user_id').on('passkeys').column('user_id').execute()

    await db.schema.createTable('webauthn_challenges')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('challenge', 'text', (col) => col.notNull().unique())
      .addColumn('purpose', 'text', (col) => col.notNull())
      .addColumn('user_id', 'text', (col) => col.references('users.id').onDelete('cascade'))
      .addColumn('expires_at', 'text', (col) => col.notNull())
      .addColumn('consumed_at', 'text')
      .addColumn('created_at', 'text', (col) => col.notNull())
      .execute()
    await db.schema.createIndex('webauthn_challenges_expires_at').on('webauthn_challenges').column('expires_at').execute()
  },

  async down (db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('webauthn_challenges').ifExists().execute()
    await db.schema.dropTable('passkeys').ifExists().execute()
  }
}
