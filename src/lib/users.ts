import type { UserRow } from '../db/schema.js'
import { parseRoles } from '../repositories/users.js'
import type { User } from '../schemas/users.js'

/** The public shape of an account: never the hash or any internal column (E4). */
export function toUser (row: UserRow): User {
  return { id: row.id, username: row.username, roles: parseRoles(row.roles), created_at: row.created_at, ...emailOf(row) }
}

/** K8: the address only once verified. */
export function emailOf (row: UserRow): { email: string | null, email_verified: boolean } {
  const verified = row.email_verified === 1 && row.email !== null
  return { email: verified ? row.email : null, email_verified: verified }
}
