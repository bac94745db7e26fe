import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { Teardown } from './app.js'
import { stopProcess, waitForExit, waitUntil } from './processes.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
/** Starting an instance compiles TypeScript on the fly: allow for a slow, shared machine. */
const READY_DEADLINE_MS = 90_000

/**
 * One server process (`node --import tsx src/server.ts`, as `npm run dev` without watching) on
 * a port of its own. Every process started is stopped by its PID when the test ends.
 */
export class Instance {
  private child: ChildProcess | null = null
  private output = ''

  constructor (private readonly t: Teardown, readonly port: number, private readonly env: NodeJS.ProcessEnv) {}

  get url (): string {
    return `http://127.0.0.1:${this.port}`
  }

  /** The last lines it wrote, for a failure message. */
  get tail (): string {
    return this.output.slice(-4000)
  }

  async start (): Promise<number> {
    if (this.child !== null) throw new Error('already running')
    const started = Date.now()
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      cwd: ROOT,
      env: { ...this.env, PORT: String(this.port), FASTIFY_AUTOLOAD_TYPESCRIPT: '1' },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    this.child = child
    this.t.teardown(async () => { await stopProcess(child, 'SIGKILL', 5000) })
    const keep = (chunk: Buffer): void => { this.output = (this.output + chunk.toString('utf8')).slice(-20_000) }
    child.stdout?.on('data', keep)
    child.stderr?.on('data', keep)
    await waitUntil(async () => {
      if (child.exitCode !== null) throw new Error(`instance on ${this.port} exited with ${child.exitCode}: ${this.tail}`)
      return (await fetch(`${this.url}/health/ready`).then((response) => response.status, () => 0)) === 200
    }, READY_DEADLINE_MS, `the instance on port ${this.port} to be ready`)
    return Date.now() - started
  }

  /** SIGTERM and wait for the exit; returns the drain time (signal to exit) and the exit code. */
  async terminate (deadlineMs: number): Promise<{ drainMs: number, code: number | null }> {
    const child = this.child
    if (child === null) throw new Error('not running')
    const started = Date.now()
    child.kill('SIGTERM')
    const code = await waitForExit(child, deadlineMs)
    if (code === -1) {
      await stopProcess(child, 'SIGKILL', 2000)
      throw new Error(`instance on ${this.port} did not exit within ${deadlineMs} ms of SIGTERM`)
    }
    this.child = null
    return { drainMs: Date.now() - started, code }
  }
}
