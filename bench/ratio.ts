import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { argon2Capacity } from './lib/argon2-capacity.js'
import { load, median, type LoadResult } from './lib/load.js'
import { HAS_TASKSET, freePort, memoryOf, sampleMemory, startServer, type Memory, type Server } from './lib/processes.js'

/**
 * Issue 10: the service's GET /protected and GET /health as ratios to a bare Fastify hello,
 * measured in the same round so machine noise cancels. Every run is a fresh server process
 * pinned to SERVER_CORE, loaded by autocannon in its own process on LOAD_CORE; the service runs
 * as `npm start` runs it (dist/, the flags of the start script, NODE_ENV=production, info logs
 * to a file, SQLite in a temp dir). Then a login flood (F4): logins/s against raw argon2id
 * capacity on the same core, and /protected during the flood against /protected idle.
 * Writes bench/results/ratio.json and ratio.md. Knobs: BENCH_DURATION (s per run, default 5),
 * BENCH_ROUNDS (3), BENCH_CONNECTIONS (50), BENCH_FLOOD=0 to skip the flood, BENCH_LOGIN_CONNECTIONS (8),
 * BENCH_LABEL (a name for the result files, default "ratio"), BENCH_CPU_PROF=dir (profile /protected runs),
 * BENCH_SERVICE_ENV (JSON: extra environment for the service, e.g. {"LOG_LEVEL":"warn"}),
 * BENCH_SERVICE_ROOT (measure another build of the service, e.g. an older commit, in the same conditions),
 * BENCH_BEFORE_ROOT (a second build measured in the same rounds, as "before": a before/after in one run,
 * where machine noise hits both alike; its /protected and /health runs join every round, and the flood runs for both).
 */
const DURATION = Number(process.env.BENCH_DURATION ?? 5)
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)
const LOGIN_CONNECTIONS = Number(process.env.BENCH_LOGIN_CONNECTIONS ?? 8)
const FLOOD = process.env.BENCH_FLOOD !== '0'
const LABEL = process.env.BENCH_LABEL ?? 'ratio'
const CPU_PROF = process.env.BENCH_CPU_PROF
const SERVER_CORE = 0
const LOAD_CORE = 1
const ROOT = fileURLToPath(new URL('..', import.meta.url))
/** Where the measured service's package.json and dist/ live: another build (an older commit, say) for a before/after in the same conditions. */
const SERVICE_ROOT = process.env.BENCH_SERVICE_ROOT ?? ROOT
const BEFORE_ROOT = process.env.BENCH_BEFORE_ROOT
const SERVICE_ENV = JSON.parse(process.env.BENCH_SERVICE_ENV ?? '{}') as Record<string, string>
const RESULTS_DIR = join(ROOT, 'bench', 'results')
const scratch = mkdtempSync(join(tmpdir(), 'secure-api-ratio-'))
const PASSWORD = 'bench-passphrase-orbit-lantern-47'

/** The environment and node arguments of `npm start`, so the flags and allocator settings set there are what is measured. */
function startScript (root = SERVICE_ROOT): { env: Record<string, string>, args: string[] } {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  const words = (pkg.scripts.start ?? '').split(/\s+/).filter((word) => word !== '')
  const env: Record<string, string> = {}
  while (words[0] !== undefined && /^[A-Z_][A-Z0-9_]*=/.test(words[0])) {
    const [name = '', ...value] = (words.shift() ?? '').split('=')
    env[name] = value.join('=')
  }
  if (words[0] !== 'node') throw new Error('the start script is expected to be "[VAR=value ...] node [flags] file"')
  return { env, args: words.slice(1) }
}

function startArgs (root = SERVICE_ROOT): string[] {
  return startScript(root).args
}

let runCounter = 0
function baseEnv (): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' }
  if (process.env.UV_THREADPOOL_SIZE !== undefined) env.UV_THREADPOOL_SIZE = process.env.UV_THREADPOOL_SIZE
  return env
}

async function startHello (): Promise<Server> {
  const port = await freePort()
  return await startServer({
    core: SERVER_CORE,
    args: ['--import', 'tsx', join(ROOT, 'bench', 'servers', 'hello.ts')],
    env: baseEnv(),
    logFile: join(scratch, 'hello.log'),
    probe: '/',
    port
  })
}

async function startService (profile: boolean, root = SERVICE_ROOT): Promise<{ server: Server, token: string, afterStart: Memory, afterLogin: Memory, credentials: string }> {
  const run = ++runCounter
  const port = await freePort()
  const args = startArgs(root)
  if (profile && CPU_PROF !== undefined) args.unshift('--cpu-prof', `--cpu-prof-dir=${CPU_PROF}`)
  const server = await startServer({
    core: SERVER_CORE,
    args: args.map((arg) => arg.startsWith('dist/') ? join(root, arg) : arg),
    env: {
      ...baseEnv(),
      ...startScript(root).env,
      NODE_ENV: 'production',
      // Production refuses to start without the passkey origins (issue 12); builds before it ignore the variable.
      WEBAUTHN_ORIGINS: 'https://app.example.com',
      HOST: '127.0.0.1',
      DATABASE_URL: `sqlite:${join(scratch, `service-${run}.db`)}`,
      KEY_ENCRYPTION_SECRET: randomBytes(32).toString('base64url'),
      METRICS_TOKEN: randomBytes(32).toString('base64url'),
      LOG_LEVEL: 'info',
      // The default limits would turn the run into a 429 benchmark; the limiter still runs on every request.
      RATE_LIMIT_MAX: '1000000',
      AUTH_RATE_LIMIT_MAX: '100000',
      ...(process.env.ARGON2_MAX_CONCURRENCY === undefined ? {} : { ARGON2_MAX_CONCURRENCY: process.env.ARGON2_MAX_CONCURRENCY }),
      // What one setting costs, e.g. BENCH_SERVICE_ENV='{"LOG_LEVEL":"warn"}' for the access line's share.
      ...SERVICE_ENV
    },
    logFile: join(scratch, `service-${run}.log`),
    probe: '/health',
    port
  })
  const afterStart = memoryOf(server.pid)
  const credentials = JSON.stringify({ username: `bench.user${run}`, password: PASSWORD })
  const headers = { 'content-type': 'application/json' }
  const registered = await fetch(`${server.base}/auth/register`, { method: 'POST', headers, body: credentials })
  if (registered.status !== 201) throw new Error(`register: ${registered.status} ${await registered.text()}`)
  const loggedIn = await fetch(`${server.base}/auth/login`, { method: 'POST', headers, body: credentials })
  if (loggedIn.status !== 200) throw new Error(`login: ${loggedIn.status}`)
  const { access_token: token } = await loggedIn.json() as { access_token: string }
  return { server, token, afterStart, afterLogin: memoryOf(server.pid), credentials }
}

interface Measured extends LoadResult { afterStartMiB: number, steadyRssMiB: number, peakRssMiB: number }

type TargetName = 'hello' | 'protected' | 'health' | 'protectedBefore' | 'healthBefore'

async function measure (target: TargetName): Promise<Measured> {
  let server: Server
  let afterStart: Memory
  let headers: Record<string, string> = {}
  let path = '/'
  if (target === 'hello') {
    server = await startHello()
    afterStart = memoryOf(server.pid)
  } else {
    const before = target === 'protectedBefore' || target === 'healthBefore'
    const isProtected = target === 'protected' || target === 'protectedBefore'
    const started = await startService(isProtected && !before, before ? BEFORE_ROOT : SERVICE_ROOT)
    server = started.server
    afterStart = started.afterStart
    path = isProtected ? '/protected' : '/health'
    if (isProtected) headers = { authorization: `Bearer ${started.token}` }
  }
  try {
    // Warm-up: JIT, keep-alive connections, the verify cache.
    await load({ url: `${server.base}${path}`, connections: CONNECTIONS, duration: WARMUP, core: LOAD_CORE, headers })
    const sampler = sampleMemory(server.pid)
    const result = await load({ url: `${server.base}${path}`, connections: CONNECTIONS, duration: DURATION, core: LOAD_CORE, headers })
    const samples = sampler.stop()
    const end = memoryOf(server.pid)
    if (result.non2xx > 0 || result.errors > 0) throw new Error(`${target}: ${result.non2xx} non-2xx, ${result.errors} errors`)
    return { ...result, afterStartMiB: afterStart.rssMiB, steadyRssMiB: median(samples.map((sample) => sample.rssMiB)), peakRssMiB: end.hwmMiB }
  } finally {
    await server.stop()
  }
}

interface Flood {
  argon2CapacityPerSecond: number
  loginsPerSecond: number
  loginsVsCapacity: number
  loginNon2xx: number
  protectedIdle: { requestsPerSecond: number, latencyP99Ms: number }
  protectedDuringFlood: { requestsPerSecond: number, latencyP99Ms: number }
  protectedRateVsIdle: number
  protectedP99VsIdle: number
  peakRssMiB: number
  argon2MaxConcurrency: string
}

async function loginFlood (root = SERVICE_ROOT): Promise<Flood> {
  const capacity = await argon2Capacity({
    core: SERVER_CORE,
    seconds: DURATION,
    concurrency: 4,
    memoryKiB: Number(process.env.ARGON2_MEMORY_KIB ?? 19456),
    timeCost: Number(process.env.ARGON2_TIME_COST ?? 2),
    parallelism: Number(process.env.ARGON2_PARALLELISM ?? 1)
  })
  const { server, token, credentials } = await startService(false, root)
  try {
    const protectedOptions = { url: `${server.base}/protected`, connections: CONNECTIONS, duration: DURATION, core: LOAD_CORE, headers: { authorization: `Bearer ${token}` } }
    await load({ ...protectedOptions, duration: WARMUP })
    const idle = await load(protectedOptions)
    const [logins, during] = await Promise.all([
      load({ url: `${server.base}/auth/login`, connections: LOGIN_CONNECTIONS, duration: DURATION, core: LOAD_CORE, method: 'POST', headers: { 'content-type': 'application/json' }, body: credentials }),
      load(protectedOptions)
    ])
    const loginsPerSecond = Math.round(((logins.requests - logins.non2xx) / DURATION) * 10) / 10
    return {
      argon2CapacityPerSecond: capacity,
      loginsPerSecond,
      loginsVsCapacity: round2(loginsPerSecond / capacity),
      loginNon2xx: logins.non2xx,
      protectedIdle: { requestsPerSecond: idle.requestsPerSecond, latencyP99Ms: idle.latencyP99Ms },
      protectedDuringFlood: { requestsPerSecond: during.requestsPerSecond, latencyP99Ms: during.latencyP99Ms },
      protectedRateVsIdle: round2(during.requestsPerSecond / idle.requestsPerSecond),
      protectedP99VsIdle: round2(during.latencyP99Ms / Math.max(idle.latencyP99Ms, 1)),
      peakRssMiB: memoryOf(server.pid).hwmMiB,
      argon2MaxConcurrency: process.env.ARGON2_MAX_CONCURRENCY ?? 'default'
    }
  } finally {
    await server.stop()
  }
}

function round2 (value: number): number {
  return Math.round(value * 100) / 100
}

async function main (): Promise<void> {
  const loadAtStart = loadavg().map(round2)
  const targets: TargetName[] = BEFORE_ROOT === undefined ? ['hello', 'protected', 'health'] : ['hello', 'protectedBefore', 'protected', 'healthBefore', 'health']
  const rounds: Array<Record<TargetName, Measured>> = []
  for (let round = 1; round <= ROUNDS; round++) {
    const order = targets.map((_target, index) => targets[(index + round - 1) % targets.length] ?? 'hello')
    const results: Partial<Record<TargetName, Measured>> = {}
    for (const target of order) {
      const result = await measure(target)
      results[target] = result
      console.log(`round ${round} ${target.padEnd(15)} ${String(result.requestsPerSecond).padStart(6)} req/s p99 ${result.latencyP99Ms} ms rss start ${result.afterStartMiB} steady ${result.steadyRssMiB} peak ${result.peakRssMiB} MiB`)
    }
    rounds.push(results as Record<TargetName, Measured>)
  }
  const ratioOf = (target: TargetName): number => round2(median(rounds.map((round) => round[target].requestsPerSecond / round.hello.requestsPerSecond)))
  const ratios = Object.fromEntries(targets.map((target) => [target, ratioOf(target)])) as Partial<Record<TargetName, number>>
  const summary = Object.fromEntries(targets.map((target) => [target, {
    requestsPerSecond: median(rounds.map((round) => round[target].requestsPerSecond)),
    latencyP99Ms: median(rounds.map((round) => round[target].latencyP99Ms)),
    afterStartMiB: median(rounds.map((round) => round[target].afterStartMiB)),
    steadyRssMiB: median(rounds.map((round) => round[target].steadyRssMiB)),
    peakRssMiB: Math.max(...rounds.map((round) => round[target].peakRssMiB))
  }])) as Partial<Record<TargetName, { requestsPerSecond: number, latencyP99Ms: number, afterStartMiB: number, steadyRssMiB: number, peakRssMiB: number }>>
  console.log(`ratios (median of same-round ratios): ${JSON.stringify(ratios)}`)
  const speedupOf = (after: TargetName, before: TargetName): number => round2(median(rounds.map((round) => round[after].requestsPerSecond / round[before].requestsPerSecond)))
  const speedup = BEFORE_ROOT === undefined ? null : { protected: speedupOf('protected', 'protectedBefore'), health: speedupOf('health', 'healthBefore') }
  if (speedup !== null) console.log(`after vs before (median of same-round ratios): ${JSON.stringify(speedup)}`)
  const flood = FLOOD ? await loginFlood() : null
  if (flood !== null) console.log(`login flood: ${JSON.stringify(flood)}`)
  const floodBefore = FLOOD && BEFORE_ROOT !== undefined ? await loginFlood(BEFORE_ROOT) : null
  if (floodBefore !== null) console.log(`login flood (before): ${JSON.stringify(floodBefore)}`)
  const report = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: `${cpus().length} x ${cpus()[0]?.model ?? 'unknown'}`,
    availableParallelism: availableParallelism(),
    loadAverage: { atStart: loadAtStart, atEnd: loadavg().map(round2) },
    settings: { serviceRoot: SERVICE_ROOT === ROOT ? '.' : SERVICE_ROOT, beforeRoot: BEFORE_ROOT ?? null, beforeStartArgs: BEFORE_ROOT === undefined ? null : startArgs(BEFORE_ROOT), durationSeconds: DURATION, warmupSeconds: WARMUP, rounds: ROUNDS, connections: CONNECTIONS, loginConnections: LOGIN_CONNECTIONS, taskset: HAS_TASKSET, startArgs: startArgs(), startEnv: startScript().env, loadGenerator: 'autocannon (separate process)' },
    ratios,
    summary,
    rounds,
    flood,
    floodBefore,
    speedup
  }
  mkdirSync(RESULTS_DIR, { recursive: true })
  writeFileSync(join(RESULTS_DIR, `${LABEL}.json`), `${JSON.stringify(report, null, 2)}\n`)
  writeFileSync(join(RESULTS_DIR, `${LABEL}.md`), markdown(report))
  rmSync(scratch, { recursive: true, force: true })
}

interface TargetSummary { requestsPerSecond: number, latencyP99Ms: number, afterStartMiB: number, steadyRssMiB: number, peakRssMiB: number }
interface Report {
  date: string
  node: string
  cpus: string
  loadAverage: { atStart: number[], atEnd: number[] }
  ratios: Partial<Record<TargetName, number>>
  summary: Partial<Record<TargetName, TargetSummary>>
  flood: Flood | null
  floodBefore: Flood | null
  speedup: { protected: number, health: number } | null
}

const NAMES: Record<TargetName, string> = {
  hello: 'bare Fastify hello (logger off)',
  protected: 'this service, `GET /protected`',
  health: 'this service, `GET /health`',
  protectedBefore: 'before (BENCH_BEFORE_ROOT), `GET /protected`',
  healthBefore: 'before (BENCH_BEFORE_ROOT), `GET /health`'
}

function floodTable (title: string, flood: Flood): string[] {
  return [
    `## ${title}: ${LOGIN_CONNECTIONS} connections logging in, ${CONNECTIONS} on /protected, ARGON2_MAX_CONCURRENCY ${flood.argon2MaxConcurrency}`,
    '',
    '| measure | value |',
    '|---|---:|',
    `| raw argon2id capacity on the server's core (verifies/s) | ${flood.argon2CapacityPerSecond} |`,
    `| logins/s during the flood | ${flood.loginsPerSecond} (${Math.round(flood.loginsVsCapacity * 100)} % of capacity; ${flood.loginNon2xx} non-2xx) |`,
    `| /protected idle: req/s, p99 ms | ${flood.protectedIdle.requestsPerSecond}, ${flood.protectedIdle.latencyP99Ms} |`,
    `| /protected during the flood: req/s, p99 ms | ${flood.protectedDuringFlood.requestsPerSecond}, ${flood.protectedDuringFlood.latencyP99Ms} |`,
    `| /protected during flood vs idle: rate, p99 | ${flood.protectedRateVsIdle}×, ${flood.protectedP99VsIdle}× |`,
    `| peak RSS of the server (VmHWM) MiB | ${flood.peakRssMiB} |`,
    ''
  ]
}

function markdown (report: Report): string {
  const { summary, ratios, flood, floodBefore } = report
  const rows = (Object.keys(NAMES) as TargetName[]).flatMap((target) => {
    const measured = summary[target]
    if (measured === undefined) return []
    return [`| ${NAMES[target]} | ${ratios[target] ?? 1} | ${measured.requestsPerSecond} | ${measured.latencyP99Ms} | ${measured.afterStartMiB} | ${measured.steadyRssMiB} | ${measured.peakRssMiB} |`]
  })
  return [
    `# Benchmark: ratio to bare Fastify (${LABEL})`,
    '',
    `${report.date} · Node ${report.node} · ${report.cpus} · load average ${report.loadAverage.atStart.join(' / ')} at start, ${report.loadAverage.atEnd.join(' / ')} at end (the machine is shared: absolute numbers are noisy, ratios are same-round).`,
    `Server pinned to core ${SERVER_CORE}${HAS_TASKSET ? '' : ' (taskset missing: not pinned)'}, autocannon in its own process on core ${LOAD_CORE}, ${CONNECTIONS} connections, ${ROUNDS} rounds of ${DURATION} s (after ${WARMUP} s warm-up), fresh process per run${BEFORE_ROOT === undefined ? '' : `, the before build (${BEFORE_ROOT}) in the same rounds`}${Object.keys(SERVICE_ENV).length === 0 ? '' : `, the service with ${JSON.stringify(SERVICE_ENV)} on top of the production settings`}. Produced by \`npm run bench\` (bench/ratio.ts).`,
    '',
    '| server | ratio to bare hello (median of same-round ratios) | req/s (median) | p99 ms | RSS after start MiB | steady RSS under load MiB | peak RSS MiB |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    ...(summary.protectedBefore === undefined || summary.healthBefore === undefined
      ? []
      : [`After vs before, median of same-round ratios: \`GET /protected\` ${report.speedup?.protected ?? '?'}×, \`GET /health\` ${report.speedup?.health ?? '?'}×.`, '']),
    ...(flood === null ? [] : floodTable('Login flood (F4)', flood)),
    ...(floodBefore === null ? [] : floodTable('Login flood (F4), before', floodBefore))
  ].join('\n')
}

await main()
