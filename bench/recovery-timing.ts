/**
 * K7, issue 13: does POST /auth/password-reset/request take the same time for a known
 * (verified) address and an unknown one? The real app from buildApp on a real port; a client
 * on a thread of its own (so the server's synchronous SQLite work cannot delay the client's
 * clock); every known address a fresh account, so every known request really makes a token and
 * writes a mail. Known and unknown requests alternate (ABBA), in two modes:
 *  - settled: the background job of each request finishes before the next is sent (the request
 *    path alone);
 *  - back-to-back: no waiting, the jobs run beside the next requests (what a prober sees).
 *  - jobs-dropped: the control, the same requests with their jobs discarded.
 * An A/A split of the unknown samples (odd vs even) shows what the noise alone looks like.
 *
 *   FASTIFY_AUTOLOAD_TYPESCRIPT=1 npx tsx bench/recovery-timing.ts     (npm run bench:recovery)
 * Knobs: BENCH_N (requests per kind and mode, default 300), BENCH_DATABASE_URL (default a
 * fresh SQLite file), BENCH_LABEL (output name, default recovery-timing).
 * Writes bench/results/<label>.{json,md}.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildApp } from '../src/build-app.js'
import { loadConfig } from '../src/config.js'
import { setVerifiedEmail } from '../src/repositories/user-emails.js'
import { createUser } from '../src/repositories/users.js'
import { startTimedClient } from '../test/helpers/timed-client.js'

const N = Number(process.env.BENCH_N ?? 300)
const LABEL = process.env.BENCH_LABEL ?? 'recovery-timing'
const dir = mkdtempSync(join(tmpdir(), 'bench-recovery-'))

interface Stats { n: number, median: number, p10: number, p25: number, p75: number, p90: number, mean: number }

function quantile (sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0
}

function stats (values: number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b)
  const round = (value: number): number => Math.round(value * 1000) / 1000
  return {
    n: values.length,
    median: round(quantile(sorted, 0.5)),
    p10: round(quantile(sorted, 0.1)),
    p25: round(quantile(sorted, 0.25)),
    p75: round(quantile(sorted, 0.75)),
    p90: round(quantile(sorted, 0.9)),
    mean: round(values.reduce((sum, value) => sum + value, 0) / values.length)
  }
}

async function main (): Promise<void> {
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: process.env.BENCH_DATABASE_URL ?? `sqlite:${join(dir, 'app.db')}`,
    KEY_ENCRYPTION_SECRET: randomBytes(32).toString('base64url'),
    MAIL_OUTBOX_DIR: join(dir, 'outbox'),
    LOG_LEVEL: 'warn',
    RATE_LIMIT_MAX: '1000000',
    RECOVERY_RATE_LIMIT_MAX: '100000',
    PRUNE_INTERVAL: '0'
  })
  const app = await buildApp(config)
  const client = startTimedClient()
  try {
    await app.listen({ port: 0, host: '127.0.0.1' })
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/auth/password-reset/request`
    const hash = await app.passwords.hash('bench-password-not-used-for-login')
    const modes = ['settled', 'back-to-back', 'jobs-dropped'] as const
    const known: Record<string, string[]> = {}
    for (const mode of modes) {
      known[mode] = []
      for (let i = 0; i < N; i++) {
        const user = await createUser(app.db, { username: `bench.${mode}.${i}`, passwordHash: hash, roles: ['user'] })
        const email = `bench-${mode}-${i}@example.test`
        await setVerifiedEmail(app.db, user.id, email, new Date())
        known[mode]?.push(email)
      }
    }
    for (let i = 0; i < 20; i++) { await client.post(url, { email: `warm-${i}@example.test` }); await app.recoveryJobs.idle() }

    const results: Record<string, { known: Stats, unknown: Stats, ratioOfMedians: number, aaRatio: number, mailsWritten: number }> = {}
    const push = app.recoveryJobs.push.bind(app.recoveryJobs)
    for (const mode of modes) {
      // The control: the same requests with their jobs never run, so any gap left is noise or the request path.
      app.recoveryJobs.push = mode === 'jobs-dropped' ? () => true : push
      const times = { known: [] as number[], unknown: [] as number[] }
      for (let i = 0; i < N; i++) {
        const order: Array<'known' | 'unknown'> = i % 2 === 0 ? ['known', 'unknown'] : ['unknown', 'known']
        for (const kind of order) {
          const email = kind === 'known' ? known[mode]?.[i] ?? '' : `nobody-${mode}-${i}@example.test`
          const response = await client.post(url, { email })
          if (response.status !== 202) throw new Error(`unexpected ${response.status}`)
          times[kind].push(response.ms)
          if (mode === 'settled') {
            await new Promise((resolve) => setImmediate(resolve))
            await app.recoveryJobs.idle()
          }
        }
      }
      await new Promise((resolve) => setImmediate(resolve))
      await app.recoveryJobs.idle()
      const mails = await app.db.selectFrom('recovery_tokens').select((eb) => eb.fn.countAll().as('n')).where('created_at', '>', new Date(0).toISOString()).executeTakeFirstOrThrow()
      const k = stats(times.known)
      const u = stats(times.unknown)
      const aa = stats(times.unknown.filter((_, i) => i % 2 === 0)).median / stats(times.unknown.filter((_, i) => i % 2 === 1)).median
      results[mode] = { known: k, unknown: u, ratioOfMedians: Math.round(k.median / u.median * 1000) / 1000, aaRatio: Math.round(aa * 1000) / 1000, mailsWritten: Number(mails.n) }
      console.log(`${mode}: known median ${k.median} ms, unknown ${u.median} ms, ratio ${results[mode]?.ratioOfMedians} (A/A ${results[mode]?.aaRatio})`)
    }

    const environment = { at: new Date().toISOString(), node: process.version, cpus: `${cpus().length} x ${cpus()[0]?.model ?? '?'}`, loadAverageAtEnd: loadavg().map((value) => Math.round(value * 100) / 100), database: config.DATABASE_URL.split(':')[0], n: N }
    writeFileSync(new URL(`./results/${LABEL}.json`, import.meta.url), `${JSON.stringify({ environment, results }, null, 2)}\n`)
    const row = (mode: string, kind: 'known' | 'unknown'): string => {
      const s = results[mode]?.[kind]
      return s === undefined ? '' : `| ${mode} | ${kind} | ${s.n} | ${s.median} | ${s.p10} | ${s.p25} | ${s.p75} | ${s.p90} | ${s.mean} |`
    }
    const lines = [
      '# Benchmark: POST /auth/password-reset/request, known vs unknown address (K7)',
      '',
      `${environment.at} · Node ${environment.node} · ${environment.cpus} · load average at end ${environment.loadAverageAtEnd.join(' / ')} · ${environment.database}.`,
      'Produced by `npm run bench:recovery` (bench/recovery-timing.ts): the app from `buildApp` on 127.0.0.1, a client on its own thread, time to the last byte of the answer. Every known address is a fresh verified account, so each known request makes a token and writes a mail (development outbox).',
      '',
      '| mode | address | n | median ms | p10 | p25 | p75 | p90 | mean |',
      '|---|---|---:|---:|---:|---:|---:|---:|---:|',
      ...modes.flatMap((mode) => [row(mode, 'known'), row(mode, 'unknown')]),
      '',
      ...modes.map((mode) => `- ${mode}: ratio of medians known/unknown **${results[mode]?.ratioOfMedians}**; the same ratio between two halves of the unknown samples (noise alone): ${results[mode]?.aaRatio}.`),
      '- settled: each request\'s job (lookup, token, mail) finished before the next request; back-to-back: jobs ran beside the following requests, as they would for a prober; jobs-dropped: the control, the same requests with their jobs discarded (the request path alone; no mail is written).',
      '- The client shares this machine\'s two cores with the server. Jobs start 25 ms after their answer (plugins/mail.ts): before that, a known address\'s heavier job overlapped the client\'s reading of its own answer and settled runs showed known/unknown ratios of 1.14-1.17 (A/A 1.06-1.10).',
      ''
    ]
    writeFileSync(new URL(`./results/${LABEL}.md`, import.meta.url), lines.join('\n'))
  } finally {
    await client.close()
    await app.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
