import type { Redis } from 'ioredis'
import type { RevocationList } from './revocation-list.js'

const MAX_IDS_PER_MESSAGE = 1000
const SESSION_ID = /^[0-9a-f-]{36}$/

/**
 * Publishes this instance's revocations on a Redis channel and applies the other instances'
 * ones as they arrive, so a logout bites everywhere within milliseconds. Redis being down only
 * loses the shortcut: every instance still polls the database (REVOCATION_POLL_INTERVAL).
 */
export function connectRevocationBroadcast (redis: Redis, channel: string, revocations: RevocationList, onError: (error: unknown) => void): () => void {
  const subscriber = redis.duplicate()
  subscriber.on('error', onError)
  subscriber.on('message', (from: string, message: string) => {
    if (from !== channel) return
    try {
      const parsed: unknown = JSON.parse(message)
      if (!Array.isArray(parsed)) return
      revocations.receive(parsed.slice(0, MAX_IDS_PER_MESSAGE).filter((id): id is string => typeof id === 'string' && SESSION_ID.test(id)))
    } catch {
      // Not ours, or corrupt: the database poll will catch up.
    }
  })
  // Subscribe on every (re)connection: a subscription that failed while Redis was down is retried.
  const subscribe = (): void => { subscriber.subscribe(channel).catch(onError) }
  subscriber.on('ready', subscribe)
  if (subscriber.status === 'ready') subscribe()
  revocations.setBroadcaster((ids) => {
    redis.publish(channel, JSON.stringify(ids)).catch(onError)
  })
  return () => { subscriber.disconnect() }
}
