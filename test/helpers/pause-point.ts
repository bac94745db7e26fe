/**
 * A one-shot pause for race tests: the code under test calls `hook()` at its dangerous point;
 * when armed, the call tells the test it got there and waits until the test releases it.
 * Unarmed, it passes straight through. Every wait has a deadline.
 */
export class PausePoint {
  private armed: { reached: () => void, released: Promise<void> } | undefined

  /** Arms the next call; resolves `reached` when the code arrives, and holds it until `release()`. */
  arm (deadlineMs = 10_000): { reached: Promise<void>, release: () => void } {
    let release = (): void => {}
    let reached = (): void => {}
    const released = new Promise<void>((resolve) => { release = resolve })
    const arrived = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error('the paused code never reached its pause point')) }, deadlineMs)
      reached = () => { clearTimeout(timer); resolve() }
    })
    this.armed = { reached, released }
    return { reached: arrived, release }
  }

  readonly hook = async (): Promise<void> => {
    const armed = this.armed
    if (armed === undefined) return
    this.armed = undefined
    armed.reached()
    await armed.released
  }
}
