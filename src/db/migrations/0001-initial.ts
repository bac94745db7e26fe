import type { Kysely, Migration } from 'kysely'

/** The first schema: written once in Kysely's builder so it runs on SQLite and PostgreSQL. */
export const initialMigration: Migration = {
  async up (db: Kysely<unknown>): Promise<void> {
    await db.schema.createTable('users')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('username', 'text', (col) => col.notNull())
      .addColumn('username_normalized', 'text', (col) => col.notNull().unique())
      .addColumn('password_hash', 'text', (col) => col.notNull())
      .addColumn('roles', 'text', (col) => col.notNull())
      .addColumn('disabled', 'integer', (col) => col.notNull().defaultTo(0))
      .addColumn('created_at', 'text', (col) => col.notNull())
      .addColumn('updated_at', 'text', (col) => col.notNull())
      .addColumn('last_login_at', 'text')
      .execute()

    await db.schema.createTable('sessions')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
      .addColumn('created_at', 'text', (col) => col.notNull())
      .addColumn('last_used_at', 'text', (col) => col.notNull())
      .addColumn('expires_at', 'text', (col) => col.notNull())
      .addColumn('idle_expires_at', 'text', (col) => col.notNull())
      .addColumn('revoked_at', 'text')
      .addColumn('revoked_reason', 'text')
      .addColumn('user_agent', 'text')
      .addColumn('ip', 'text')
      .execute()
    await db.schema.createIndex('sessions_user_id').on('sessions').column('user_id').execute()
    await db.schema.createIndex('sessions_revoked_at').on('sessions').column('revoked_at').execute()

    await db.schema.createTable('refresh_tokens')
      .addColumn('token_hash', 'text', (col) => col.primaryKey())
      .addColumn('session_id', 'text', (col) => col.notNull().references('sessions.id').onDelete('cascade'))
      .addColumn('created_at', 'text', (col) => col.notNull())
      .addColumn('rotated_at', 'text')
      .execute()
    await db.schema.createIndex('refresh_tokens_session_id').on('refresh_tokens').column('session_id').execute()

    await db.schema.createTable('signing_keys')
      .addColumn('kid', 'text', (col) => col.primaryKey())
      .addColumn('alg', 'text', (col) => col.notNull())
      .addColumn('public_jwk', 'text', (col) => col.notNull())
      .addColumn('private_key', 'text', (col) => col.notNull())
      .addColumn('created_at', 'text', (col) => col.notNull())
      .addColumn('signs_from', 'text', (col) => col.notNull())
      .addColumn('retired_at', 'text')
      .execute()

    await db.schema.createTable('notes')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('owner_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
      .addColumn('title', 'text', (col) => col.notNull())
      .addColumn('body', 'text', (col) => col.notNull())
      .addColumn('created_at', 'text', (col) => col.notNull())
      .addColumn('updated_at', 'text', (col) => col.notNull())
      .execute()
    await db.schema.createIndex('notes_owner_page').on('notes').columns(['owner_id', 'created_at', 'id']).execute()
  },

  async down (db: Kysely<unknown>): Promise<void> {
    for (const table of ['notes', 'signing_keys', 'refresh_tokens', 'sessions', 'users']) {
      await db.schema.dropTable(table).ifExists().execute()
    }
  }
}
