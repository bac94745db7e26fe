import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { pinned } from './processes.js'

const AUTOCANNON = fileURLToPath(new URL('../../node_modules/autocannon/autocannon.js', import.meta.url))

export interface LoadResult {
  requestsPerSecond: number
  latencyP50Ms: number
  latencyP99Ms: number
  requests: number
  non2xx: number
  errors: number
}

interface AutocannonJson {
  requests: { average: number, total: number }
  latency: { p50: number, p99: number }
  non2xx: number
  errors: number
  timeouts: number
}

/**
 * autocannon in a process of its own on the load core (wrk is not installed here), so the load
 * generator never shares the server's event loop or core. -j prints the result as JSON.
 */
interface LoadOptions {
  url: string
  connections: number
  duration: number
  core: number
  headers?: Record<string, string>
  method?: string
  body?: string
}

export async function load (options: LoadOptions): Promise<LoadResult> {
  const args = [AUTOCANNON, '-j', '-c', String(options.connections), '-d', String(options.duration)]
  for (const [name, value] of Object.entries(options.headers ?? {})) args.push('-H', `${name}=${value}`)
  if (options.method !== undefined) args.push('-m', options.method)
  if (options.body !== undefined) args.push('-b', options.body)
  args.push(options.url)
  const [command, commandArgs] = pinned(options.core, process.execPath, args)
  const child = spawn(command, commandArgs, { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { err += chunk.toString() })
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  if (code !== 0) throw new Error(`autocannon exited with ${code}: ${err}`)
  const result = JSON.parse(out) as AutocannonJson
  return {
    requestsPerSecond: Math.round(result.requests.average),
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts
  }
}

export function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  if (sorted.length === 0) return 0
  return sorted.length % 2 === 1 ? sorted[middle] ?? 0 : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2
}
