import type { FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import { buildTestApp, json } from './app.js'
import { PausePoint } from './pause-point.js'
import { bearer, login, registerUser, STRONG_PASSWORD, type RegisteredUser, type Tokens } from './users.js'

export const OTHER_PASSWORD = 'velvet-harbour-crossing-92-lantern'

export interface RaceLab {
  app: FastifyInstance
  loginPause: PausePoint
  refreshPause: PausePoint
  admin: RegisteredUser & { tokens: Tokens }
}

/** The real app with pause points in the login and refresh ceremonies, and an administrator. */
export async function raceLab (t: Test, databaseUrl: string): Promise<RaceLab> {
  const loginPause = new PausePoint()
  const refreshPause = new PausePoint()
  const { app } = await buildTestApp(t, { DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' }, {
    testHooks: { afterPasswordVerified: loginPause.hook, beforeRefreshRotation: refreshPause.hook }
  })
  const admin = await registerUser(app)
  await app.db.updateTable('users').set({ roles: JSON.stringify(['user', 'admin']) }).where('id', '=', admin.id).execute()
  return { app, loginPause, refreshPause, admin: { ...admin, tokens: await login(app, admin.username) } }
}

export { bearer, login, registerUser, STRONG_PASSWORD }

/**
 * Whether anything obtained by a raced login still works: its access token on /protected, its
 * refresh token on /auth/refresh. A 200 from the login alone is not a survivor if both fail.
 */
export async function survives (app: FastifyInstance, response: { statusCode: number, body: string }): Promise<boolean> {
  if (response.statusCode !== 200) return false
  const tokens = json<Tokens>(response as Parameters<typeof json>[0])
  const used = await app.inject({ method: 'GET', url: '/protected', headers: bearer(tokens.access_token) })
  const refreshed = await app.inject({ method: 'POST', url: '/auth/refresh', payload: { refresh_token: tokens.refresh_token } })
  return used.statusCode === 200 || refreshed.statusCode === 200
}

/**
 * Forces the interleaving: a login of `username` pauses after argon2 accepted the password,
 * `change` runs to completion, then the login resumes. Returns the login's response.
 */
export async function loginAcross (lab: RaceLab, username: string, password: string, change: () => Promise<void>): Promise<{ statusCode: number, body: string }> {
  const { reached, release } = lab.loginPause.arm()
  const pending = lab.app.inject({ method: 'POST', url: '/auth/login', payload: { username, password } })
  await reached
  try {
    await change()
  } finally {
    release()
  }
  return await pending
}

export const ROUNDS = 50

export function expectStatus (t: Test, response: { statusCode: number, body: string }, status: number, what: string): void {
  if (response.statusCode !== status) t.fail(`${what}: expected ${status}, got ${response.statusCode} ${response.body}`)
}
