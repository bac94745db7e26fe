import { spawn } from 'node:child_process'
import { pinned } from './processes.js'

/**
 * Raw argon2id capacity on the server's core: a bare node process with the same parameters,
 * `concurrency` hashes in flight for `seconds`, on the libuv pool. What a login flood can reach
 * at best on that core, measured in the same run as the flood itself.
 */
export async function argon2Capacity (options: { core: number, seconds: number, concurrency: number, memoryKiB: number, timeCost: number, parallelism: number }): Promise<number> {
  const script = `
    import argon2 from 'argon2'
    const options = { type: argon2.argon2id, memoryCost: ${options.memoryKiB}, timeCost: ${options.timeCost}, parallelism: ${options.parallelism} }
    const hash = await argon2.hash('warm-up-passphrase', options)
    const end = Date.now() + ${options.seconds * 1000}
    let done = 0
    async function worker () { while (Date.now() < end) { await argon2.verify(hash, 'bench-passphrase'); done++ } }
    const started = Date.now()
    await Promise.all(Array.from({ length: ${options.concurrency} }, worker))
    process.stdout.write(String(done / ((Date.now() - started) / 1000)))
  `
  const [command, args] = pinned(options.core, process.execPath, ['--input-type=module', '-e', script])
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, UV_THREADPOOL_SIZE: String(Math.max(4, options.concurrency)) } })
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
  await new Promise((resolve) => child.once('exit', resolve))
  return Number(Number(out).toFixed(1))
}
