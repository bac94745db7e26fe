import type { AddressInfo } from 'node:net'
import t from 'tap'
import { setVerifiedEmail } from '../../src/repositories/user-emails.js'
import { createUser } from '../../src/repositories/users.js'
import { buildTestApp } from '../helpers/app.js'
import { settle } from '../helpers/recovery.js'
import { startTimedClient } from '../helpers/timed-client.js'
import { STRONG_PASSWORD, uniqueUsername } from '../helpers/users.js'

/** Headers that differ between any two responses (time, ids, the limiter's countdown). */
const VARYING = new Set(['date', 'x-request-id', 'ratelimit-remaining', 'ratelimit-reset', 'content-length', 'keep-alive', 'connection'])

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? 0
}

/**
 * K7: POST /auth/password-reset/request answers the same for a known verified address and an
 * unknown one: status, body, headers, and time. Every known address is a fresh account, so
 * each known request really makes a token and sends a mail (no per-address limit kicks in).
 * The time comparison is deliberately loose (a shared 2-core machine): the ratio of medians
 * must stay under 2 either way. bench/recovery-timing.ts measures it carefully.
 */
t.test('K7: the reset request answers known and unknown addresses alike (body, headers, timing within noise)', async (t) => {
  const { app } = await buildTestApp(t, { RECOVERY_RATE_LIMIT_MAX: '100000' })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/auth/password-reset/request`
  const rounds = 30
  const passwordHash = await app.passwords.hash(STRONG_PASSWORD)
  const known: string[] = []
  for (let i = 0; i < rounds; i++) {
    const user = await createUser(app.db, { username: uniqueUsername('timed'), passwordHash, roles: ['user'] })
    const email = `timed-${i}-${process.pid}@example.test`
    await setVerifiedEmail(app.db, user.id, email, new Date())
    known.push(email)
  }
  const client = startTimedClient()
  t.teardown(client.close)
  const send = async (email: string): Promise<{ ms: number, status: number, body: string, headers: Record<string, string> }> => {
    const response = await client.post(url, { email })
    const headers = Object.fromEntries(response.headers.filter(([name]) => !VARYING.has(name)))
    return { ms: response.ms, status: response.status, body: response.body, headers }
  }
  // Warm-up of both paths (JIT, the first outbox write, the first statements).
  for (let i = 0; i < 5; i++) { await send(`warm-${i}@example.test`); await settle(app) }

  const times = { known: [] as number[], unknown: [] as number[] }
  let reference: { status: number, body: string, headers: Record<string, string> } | undefined
  for (let i = 0; i < rounds; i++) {
    // Alternate which goes first, so drift on the machine hits both alike.
    const order: Array<'known' | 'unknown'> = i % 2 === 0 ? ['known', 'unknown'] : ['unknown', 'known']
    for (const kind of order) {
      const result = await send(kind === 'known' ? known[i] ?? '' : `nobody-${i}-${process.pid}@example.test`)
      times[kind].push(result.ms)
      reference ??= result
      t.equal(result.status, 202)
      if (result.body !== reference.body || JSON.stringify(result.headers) !== JSON.stringify(reference.headers)) {
        t.fail(`${kind} #${i}: the answer differs`, { got: result, expected: reference })
      }
      // The job (token and mail, or just the audit row) finishes before the next request is timed.
      await settle(app)
    }
  }
  const mails = await app.db.selectFrom('recovery_tokens').select('id').where('purpose', '=', 'password_reset').execute()
  t.equal(mails.length, rounds, 'every known address really got a token (the check is not vacuous)')
  const ratio = median(times.known) / median(times.unknown)
  t.comment(`median known ${median(times.known).toFixed(2)} ms, unknown ${median(times.unknown).toFixed(2)} ms, ratio ${ratio.toFixed(2)} (${rounds} each)`)
  t.ok(ratio < 2 && ratio > 0.5, `ratio of medians within noise: ${ratio.toFixed(2)}`)
})
