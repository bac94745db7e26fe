import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { createUser } from '../../src/repositories/users.js'
import { bearer, login, STRONG_PASSWORD, uniqueUsername, type RegisteredUser, type Tokens } from './users.js'

/** The claims of a JWT, read without verifying (tests only compare them). */
export function claimsOf (token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>
}

export function headerOf (token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>
}

export function sessionIdOf (tokens: Tokens): string {
  return String(claimsOf(tokens.access_token).sid)
}

export async function refresh (app: FastifyInstance, refreshToken: string): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'POST', url: '/auth/refresh', payload: { refresh_token: refreshToken } })
}

export async function getProtected (app: FastifyInstance, accessToken: string): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'GET', url: '/protected', headers: bearer(accessToken) })
}

/** An administrator made straight in the database, as `npm run user:create -- --role admin` would. */
export async function createAdmin (app: FastifyInstance): Promise<RegisteredUser & { tokens: Tokens }> {
  const username = uniqueUsername('admin')
  const row = await createUser(app.db, { username, passwordHash: await app.passwords.hash(STRONG_PASSWORD), roles: ['user', 'admin'] })
  return { id: row.id, username, password: STRONG_PASSWORD, tokens: await login(app, username) }
}

/** Audit events of one kind that the app logged. */
export function auditEvents (logs: Array<Record<string, unknown>>, event: string): Array<Record<string, unknown>> {
  return logs.flatMap((line) => {
    const audit = line.audit as Record<string, unknown> | undefined
    return audit !== undefined && audit.event === event ? [audit] : []
  })
}

/** Polls `check` until it returns true or `timeoutMs` passes; returns the milliseconds it took, or -1. */
export async function waitFor (check: () => Promise<boolean>, timeoutMs: number, stepMs = 50): Promise<number> {
  const start = Date.now()
  while (Date.now() - start <= timeoutMs) {
    if (await check()) return Date.now() - start
    await new Promise((resolve) => setTimeout(resolve, stepMs))
  }
  return -1
}
