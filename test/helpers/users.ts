import type { FastifyInstance } from 'fastify'
import { json } from './app.js'

export const STRONG_PASSWORD = 'orbit-lantern-quietly-47-meadow'

export interface Tokens {
  access_token: string
  refresh_token: string
  expires_in: number
  refresh_token_expires_in: number
  token_type: string
}

export interface RegisteredUser {
  id: string
  username: string
  password: string
}

let counter = 0

/** A username unique within the process, valid under the contract's pattern. */
export function uniqueUsername (prefix = 'user'): string {
  counter++
  return `${prefix}.${process.pid}.${counter}`
}

export async function registerUser (app: FastifyInstance, username = uniqueUsername(), password = STRONG_PASSWORD): Promise<RegisteredUser> {
  const response = await app.inject({ method: 'POST', url: '/auth/register', payload: { username, password } })
  if (response.statusCode !== 201) throw new Error(`register failed: ${response.statusCode} ${response.body}`)
  return { id: json<{ id: string }>(response).id, username, password }
}

export async function login (app: FastifyInstance, username: string, password = STRONG_PASSWORD, headers: Record<string, string> = {}): Promise<Tokens> {
  const response = await app.inject({ method: 'POST', url: '/auth/login', payload: { username, password }, headers })
  if (response.statusCode !== 200) throw new Error(`login failed: ${response.statusCode} ${response.body}`)
  return json<Tokens>(response)
}

/** Registers a new user and logs in. */
export async function registerAndLogin (app: FastifyInstance, prefix = 'user'): Promise<RegisteredUser & { tokens: Tokens }> {
  const user = await registerUser(app, uniqueUsername(prefix))
  return { ...user, tokens: await login(app, user.username) }
}

export function bearer (token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` }
}
