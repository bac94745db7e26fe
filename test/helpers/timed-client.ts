import { Worker } from 'node:worker_threads'

export interface TimedResponse {
  ms: number
  status: number
  body: string
  headers: Array<[string, string]>
}

/**
 * An HTTP client on a thread of its own: its clock and its reading of the response are not
 * delayed by the server's event loop (SQLite work of a background job is synchronous), so the
 * time measured is what a remote client would see. POSTs JSON, returns the time to the last byte.
 */
const WORKER = `
const { parentPort } = require('node:worker_threads')
parentPort.on('message', async ({ id, url, body }) => {
  const started = process.hrtime.bigint()
  try {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
    const text = await response.text()
    const ms = Number(process.hrtime.bigint() - started) / 1e6
    parentPort.postMessage({ id, ms, status: response.status, body: text, headers: [...response.headers.entries()] })
  } catch (error) {
    parentPort.postMessage({ id, error: String(error) })
  }
})
`

export interface TimedClient {
  post: (url: string, body: unknown) => Promise<TimedResponse>
  close: () => Promise<void>
}

export function startTimedClient (): TimedClient {
  const worker = new Worker(WORKER, { eval: true })
  const pending = new Map<number, { resolve: (value: TimedResponse) => void, reject: (error: Error) => void }>()
  let next = 0
  worker.on('message', (message: TimedResponse & { id: number, error?: string }) => {
    const waiter = pending.get(message.id)
    pending.delete(message.id)
    if (message.error !== undefined) waiter?.reject(new Error(message.error))
    else waiter?.resolve(message)
  })
  return {
    post: async (url, body) => await new Promise<TimedResponse>((resolve, reject) => {
      const id = next++
      pending.set(id, { resolve, reject })
      worker.postMessage({ id, url, body: JSON.stringify(body) })
    }),
    close: async () => { await worker.terminate() }
  }
}
