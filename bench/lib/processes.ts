import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { openSync, closeSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'

/** taskset pins the server and the load generator to different cores, so they do not share one. */
export const HAS_TASKSET = spawnSync('sh', ['-c', 'command -v taskset'], { stdio: 'ignore' }).status === 0

export function pinned (core: number, command: string, args: string[]): [string, string[]] {
  return HAS_TASKSET ? ['taskset', ['-c', String(core), command, ...args]] : [command, args]
}

export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => { resolve(port) })
    })
  })
}

export interface Memory { rssMiB: number, hwmMiB: number }

/** VmRSS (resident now) and VmHWM (peak resident) of a process, from /proc. */
export function memoryOf (pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0)
  return { rssMiB: Math.round(kib('VmRSS') / 1024), hwmMiB: Math.round(kib('VmHWM') / 1024) }
}

export interface Server { child: ChildProcess, pid: number, base: string, stop: () => Promise<void> }

/**
 * Starts a server process with stdout going to a log file, and waits until it answers.
 * The pid is the node process itself (taskset execs it), so /proc reads the server.
 */
export async function startServer (options: { core: number, args: string[], env: Record<string, string>, logFile: string, probe: string, port: number }): Promise<Server> {
  const log = openSync(options.logFile, 'a')
  const [command, args] = pinned(options.core, process.execPath, options.args)
  const child = spawn(command, args, { env: { ...options.env, PORT: String(options.port) }, stdio: ['ignore', log, log] })
  closeSync(log)
  const base = `http://127.0.0.1:${options.port}`
  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}; see ${options.logFile}`)
    try {
      const response = await fetch(`${base}${options.probe}`)
      await response.arrayBuffer()
      if (response.ok) break
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`server did not start; see ${options.logFile}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  const pid = child.pid ?? 0
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(timer)
  }
  return { child, pid, base, stop }
}

/** Samples a process's memory every interval until stopped. */
export function sampleMemory (pid: number, intervalMs = 250): { stop: () => Memory[] } {
  const samples: Memory[] = []
  const timer = setInterval(() => {
    try { samples.push(memoryOf(pid)) } catch { /* exited */ }
  }, intervalMs)
  return { stop: () => { clearInterval(timer); return samples } }
}
