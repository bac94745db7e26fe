import type { PasskeyRow } from '../../../src/db/schema.js'
import type { Passkey } from '../../../src/schemas/passkeys.js'

/** The public shape of a passkey: never its public key, credential id or counter. */
export function toPasskey (row: PasskeyRow): Passkey {
  return { id: row.id, name: row.name, created_at: row.created_at, last_used_at: row.last_used_at }
}
