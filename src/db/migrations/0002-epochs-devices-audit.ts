import { sql, type Kysely, type Migration } from 'kysely'

/**
 * Second wave, part one (issue 8):
 * - users.auth_version: the authentication epoch. Every change that must end sessions bumps
 *   it in the same transaction; a session is only created or refreshed while it still holds
 *   the value read before the slow work (I1).
 * - sessions carry how the user authenticated (amr, acr, auth_time, RFC 8176/9470): a refresh
 *   keeps them, it is not an authentication (K4).
 * - device_tokens: OWASP "device cookies" for an API (I7).
 * - audit_events: the durable audit trail (J1-J3); `bucket` is set only on aggregated rows
 *   (denial floods, one row per actor, type and minute) and is unique, so concurrent
 *   increments land on one row.
 * - signing_keys.aad_version: 1 once the private key is encrypted with kid, alg and use as
 *   associated data; 0 rows are re-encrypted when the key set is loaded.
 */
export const epochsDevicesAuditMigration: Migration = {
  async up (db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('users').addColumn('auth_version', 'integer', (col) => col.notNull().defaultTo(0)).execute()

    await db.schema.alterTable('sessions').addColumn('auth_version', 'integer', (col) => col.notNull().defaultTo(0)).execute()
    await db.schema.alterTable('sessions').addColumn('amr', 'text', (col) => col.notNull().defaultTo('["pwd"]')).execute()
    await db.schema.alterTable('sessions').addColumn('acr', 'text', (col) => col.notNull().defaultTo('urn:secure-api:acr:password')).execute()
    await db.schema.alterTable('sessions').addColumn('auth_time', 'text').execute()
    await sql`update sessions set auth_time = created_at where auth_time is null`.execute(db)
    await db.schema.createIndex('sessions_expires_at').on('sessions').column('expires_at').execute()
    await db.schema.createIndex('refresh_tokens_rotated_at').on('refresh_tokens').column('rotated_at').execute()

    await db.schema.createTable('device_tokens')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
      .addColumn('token_hash', 'text', (col) => col.notNull().unique())
      .addColumn('created_at', 'text', (col) => col.notNull())
      .addColumn('last_used_at', 'text', (col) => col.notNull())
      .addColumn('expires_at', 'text', (col) => col.notNull())
      .addColumn('revoked_at', 'text')
      .addColumn('user_agent', 'text')
      .addColumn('ip', 'text')
      .execute()
    await db.schema.createIndex('device_tokens_user_id').on('device_tokens').column('user_id').execute()
    await db.schema.createIndex('device_tokens_expires_at').on('device_tokens').column('expires_at').execute()

    await db.schema.createTable('audit_events')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('at', 'text', (col) => col.notNull())
      .addColumn('type', 'text', (col) => col.notNull())
      .addColumn('outcome', 'text', (col) => col.notNull())
      .addColumn('actor_id', 'text')
      .addColumn('subject_id', 'text')
      .addColumn('session_id', 'text')
      .addColumn('ip', 'text')
      .addColumn('user_agent', 'text')
      .addColumn('request_id', 'text', (col) => col.notNull())
      .addColumn('client_request_id', 'text')
      .addColumn('details', 'text', (col) => col.notNull())
      .addColumn('count', 'integer', (col) => col.notNull().defaultTo(1))
      .addColumn('bucket', 'text', (col) => col.unique())
      .execute()
    await db.schema.createIndex('audit_events_at').on('audit_events').columns(['at', 'id']).execute()
    await db.schema.createIndex('audit_events_type_at').on('audit_events').columns(['type', 'at']).execute()
    await db.schema.createIndex('audit_events_actor_at').on('audit_events').columns(['actor_id', 'at']).execute()
    await db.schema.createIndex('audit_events_subject_at').on('audit_events').columns(['subject_id', 'at']).execute()

    await db.schema.alterTable('signing_keys').addColumn('aad_version', 'integer', (col) => col.notNull().defaultTo(0)).execute()
  },

  async down (db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('audit_events').ifExists().execute()
    await db.schema.dropTable('device_tokens').ifExists().execute()
  }
}
