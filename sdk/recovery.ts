import type { Client } from 'openapi-fetch'
import { unwrap } from './problems.js'
import type { components, paths } from './schema.js'

export type User = components['schemas']['User']
export type AdminPasswordReset = components['schemas']['AdminPasswordReset']

/**
 * Account recovery (issue 13). The tokens these take come from the links the server mails:
 * `…/reset-password#token=…` and `…/verify-email#token=…` (the fragment never reaches a
 * server); `tokenFromLink` reads it. Every function throws ApiProblemError on a problem.
 */
export function tokenFromLink (link: string): string {
  const token = new URL(link).hash.match(/^#token=([A-Za-z0-9_-]+)$/)?.[1]
  if (token === undefined) throw new Error('the link carries no token')
  return token
}

/** Always resolves (202) when the request was taken, whether or not the address belongs to an account. */
export async function requestPasswordReset (client: Client<paths>, email: string): Promise<void> {
  unwrap(await client.POST('/auth/password-reset/request', { body: { email } }))
}

/** Sets the new password; every session of the account ends, so log in again afterwards. */
export async function resetPassword (client: Client<paths>, token: string, newPassword: string): Promise<void> {
  unwrap(await client.POST('/auth/password-reset', { body: { token, new_password: newPassword } }))
}

/** Needs a recent login (step-up): a 401 insufficient_user_authentication asks you to authenticate again. */
export async function requestEmailChange (client: Client<paths>, email: string): Promise<void> {
  unwrap(await client.POST('/auth/email', { body: { email } }))
}

export async function verifyEmail (client: Client<paths>, token: string): Promise<User> {
  return unwrap(await client.POST('/auth/email/verify', { body: { token } }))
}

/** Administrators: a single-use reset token (30 minutes) to hand to the account's owner out of band. */
export async function issuePasswordReset (client: Client<paths>, userId: string): Promise<AdminPasswordReset> {
  return unwrap(await client.POST('/admin/users/{id}/password-reset', { params: { path: { id: userId } } }))
}
