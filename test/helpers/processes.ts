import type { ChildProcess } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'

/** Polls `check` until it is true; throws, naming what it waited for, past the deadline. */
export async function waitUntil (check: () => Promise<boolean>, timeoutMs: number, what: string, stepMs = 50): Promise<number> {
  const start = Date.now()
  while (Date.now() - start <= timeoutMs) {
    if (await check()) return Date.now() - start
    await sleep(stepMs)
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
}

/** Resolves with the exit code (null after a signal) once the child has exited, or -1 past the deadline. */
export async function waitForExit (child: ChildProcess, timeoutMs: number): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode
  let timer: NodeJS.Timeout | undefined
  try {
    return await new Promise<number | null>((resolve) => {
      timer = setTimeout(() => { resolve(-1) }, timeoutMs)
      child.once('exit', (code) => { resolve(code) })
    })
  } finally {
    clearTimeout(timer)
  }
}

/** Sends `signal` to the child by its PID, waits (bounded) for it to exit, then SIGKILLs it if it has not. */
export async function stopProcess (child: ChildProcess, signal: NodeJS.Signals, timeoutMs: number): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  child.kill(signal)
  if (await waitForExit(child, timeoutMs) === -1) {
    child.kill('SIGKILL')
    await waitForExit(child, 2000)
  }
}
