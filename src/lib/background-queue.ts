/**
 * Work done off the request path (sending mail, the database work of a reset request), so a
 * request answers without waiting for it and its timing says nothing about the outcome (K7).
 * Bounded: at most `concurrency` jobs run and `maxPending` wait; past that a job is refused
 * (the caller decides what that means). A job's failure is reported, never thrown at anyone.
 * Jobs live in memory: a crash loses the ones waiting (the user asks again).
 */
export interface BackgroundQueueOptions {
  concurrency: number
  maxPending: number
  /** A pause before a pushed job may start (see plugins/mail.ts); 0 starts it on the next turn of the loop. */
  startDelayMs?: number
  onError: (error: unknown) => void
}

export class BackgroundQueue {
  private readonly waiting: Array<() => Promise<void>> = []
  private running = 0
  private closed = false
  private idleWaiters: Array<() => void> = []

  constructor (private readonly options: BackgroundQueueOptions) {}

  /** False when the queue is full or closed: the job will not run. */
  push (job: () => Promise<void>): boolean {
    if (this.closed || this.waiting.length >= this.options.maxPending) return false
    this.waiting.push(job)
    // Never on the caller's stack: the request answers first.
    const delay = this.options.startDelayMs ?? 0
    if (delay > 0) setTimeout(() => { this.next() }, delay)
    else setImmediate(() => { this.next() })
    return true
  }

  get size (): number {
    return this.waiting.length + this.running
  }

  /** Resolves once nothing waits or runs (tests, and a graceful close). */
  async idle (): Promise<void> {
    if (this.size === 0) return
    await new Promise<void>((resolve) => { this.idleWaiters.push(resolve) })
  }

  /** Refuses new jobs and waits for those queued, at most `timeoutMs`. */
  async close (timeoutMs: number): Promise<void> {
    this.closed = true
    let timer: NodeJS.Timeout | undefined
    await Promise.race([this.idle(), new Promise<void>((resolve) => { timer = setTimeout(resolve, timeoutMs) })])
    clearTimeout(timer)
  }

  private next (): void {
    while (this.running < this.options.concurrency && this.waiting.length > 0) {
      const job = this.waiting.shift()
      if (job === undefined) break
      this.running++
      job().catch(this.options.onError).finally(() => {
        this.running--
        this.next()
        if (this.size === 0) {
          const waiters = this.idleWaiters
          this.idleWaiters = []
          for (const resolve of waiters) resolve()
        }
      })
    }
  }
}
