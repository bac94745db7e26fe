import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../src/build-app.js'
import { loadConfig } from '../src/config.js'
import { currentCode } from '../src/security/totp.js'

/**
 * What does the second factor add to a login? One app (buildApp, production argon2 settings,
 * SQLite in a temp dir), requests through app.inject one at a time, so argon2 and the
 * database are measured, not the network. Alternates per round:
 *   password login            POST /auth/login of an account without a factor
 *   password step             POST /auth/login of an account with TOTP (answers the challenge)
 *   MFA step                  POST /auth/mfa/verify with a TOTP code
 * Each MFA login needs a fresh code step (a code works once), so every round uses a fresh
 * enrolled account. Medians in ms; writes bench/results/mfa-login.{json,md}.
 * Usage: `npx tsx bench/mfa-login.ts` (BENCH_ROUNDS, default 30).
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30)
const PASSWORD = 'orbit-lantern-quietly-47-meadow'
const RESULTS_DIR = new URL('./results/', import.meta.url)

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? 0
}

async function timed<T> (fn: () => Promise<T>): Promise<[number, T]> {
  const start = process.hrtime.bigint()
  const result = await fn()
  return [Number(process.hrtime.bigint() - start) / 1e6, result]
}

async function post (app: FastifyInstance, url: string, payload: unknown, token?: string): Promise<Record<string, unknown>> {
  const response = await app.inject({ method: 'POST', url, payload: payload as Record<string, unknown>, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } })
  if (response.statusCode >= 300) throw new Error(`${url}: ${response.statusCode} ${response.body}`)
  return JSON.parse(response.body) as Record<string, unknown>
}

async function enrolled (app: FastifyInstance, username: string): Promise<string> {
  await post(app, '/auth/register', { username, password: PASSWORD })
  const tokens = await post(app, '/auth/login', { username, password: PASSWORD })
  const enrolment = await post(app, '/auth/mfa/totp', undefined, tokens.access_token as string)
  const secret = enrolment.secret as string
  await post(app, `/auth/mfa/totp/${enrolment.factor_id as string}/confirm`, { code: currentCode(secret, Date.now() - 30_000) }, tokens.access_token as string)
  return secret
}

async function main (): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'secure-api-bench-'))
  const config = loadConfig({
    NODE_ENV: 'production',
    DATABASE_URL: `sqlite:${join(dir, 'app.db')}`,
    KEY_ENCRYPTION_SECRET: randomBytes(32).toString('base64url'),
    LOG_LEVEL: 'warn',
    AUTH_RATE_LIMIT_MAX: '100000',
    RATE_LIMIT_MAX: '100000',
    REGISTER_RATE_LIMIT_MAX: '100000',
    METRICS_TOKEN: randomBytes(24).toString('hex')
  })
  const app = await buildApp(config, { logStream: new Writable({ write: (_chunk, _encoding, callback) => { callback() } }) })
  const samples = { passwordLogin: [] as number[], passwordStep: [] as number[], mfaStep: [] as number[] }
  try {
    await post(app, '/auth/register', { username: 'plain.bench', password: PASSWORD })
    for (let round = 0; round < ROUNDS; round++) {
      const [plain] = await timed(async () => await post(app, '/auth/login', { username: 'plain.bench', password: PASSWORD }))
      samples.passwordLogin.push(plain)
      const username = `mfa.bench.${round}`
      const secret = await enrolled(app, username)
      const [step, challenge] = await timed(async () => await post(app, '/auth/login', { username, password: PASSWORD }))
      samples.passwordStep.push(step)
      const [verify] = await timed(async () => await post(app, '/auth/mfa/verify', { mfa_token: challenge.mfa_token, code: currentCode(secret) }))
      samples.mfaStep.push(verify)
    }
  } finally {
    await app.close()
    rmSync(dir, { recursive: true, force: true })
  }
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
    loadAverage: loadavg().map((value) => Number(value.toFixed(2))),
    rounds: ROUNDS,
    medianMs: {
      passwordLogin: Number(median(samples.passwordLogin).toFixed(1)),
      passwordStepWithFactor: Number(median(samples.passwordStep).toFixed(1)),
      mfaStep: Number(median(samples.mfaStep).toFixed(1))
    }
  }
  const added = result.medianMs.passwordStepWithFactor + result.medianMs.mfaStep - result.medianMs.passwordLogin
  mkdirSync(RESULTS_DIR, { recursive: true })
  writeFileSync(new URL('mfa-login.json', RESULTS_DIR), `${JSON.stringify({ ...result, addedByMfaMs: Number(added.toFixed(1)) }, null, 2)}\n`)
  writeFileSync(new URL('mfa-login.md', RESULTS_DIR), [
    `# Login latency with a second factor (${result.date}, ${result.node}, ${result.cpus}, load ${result.loadAverage.join(' ')})`,
    '',
    '| request | median ms |',
    '|---|---|',
    `| POST /auth/login, no factor (argon2 verify + session) | ${result.medianMs.passwordLogin} |`,
    `| POST /auth/login, with TOTP (argon2 verify + challenge) | ${result.medianMs.passwordStepWithFactor} |`,
    `| POST /auth/mfa/verify (decrypt secret, HMAC, session) | ${result.medianMs.mfaStep} |`,
    `| added by the second factor, server side | ${added.toFixed(1)} |`,
    ''
  ].join('\n'))
  console.log(JSON.stringify(result.medianMs), 'added', added.toFixed(1))
}

await main()
