/** Thrown when more work waits than the queue allows; the caller answers 503 with Retry-After. */
export class QueueFullError extends Error {
  constructor () {
    super('Too much work is waiting')
    this.name = 'QueueFullError'
  }
}

/**
 * Bounds concurrent expensive work (argon2) so a flood of logins queues instead of taking
 * every libuv thread, and refuses work past a maximum queue instead of growing without end.
 */
export class Semaphore {
  private active = 0
  private readonly waiting: Array<() => void> = []

  constructor (private readonly capacity: number, private readonly maxQueue: number) {}

  async run<T> (task: () => Promise<T>): Promise<T> {
    await this.acquire()
    try {
      return await task()
    } finally {
      this.release()
    }
  }

  private async acquire (): Promise<void> {
    if (this.active < this.capacity) {
      this.active++
      return
    }
    if (this.waiting.length >= this.maxQueue) throw new QueueFullError()
    await new Promise<void>((resolve) => { this.waiting.push(resolve) })
  }

  private release (): void {
    const next = this.waiting.shift()
    if (next === undefined) this.active--
    else next()
  }
}
