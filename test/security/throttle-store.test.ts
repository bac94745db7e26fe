import t, { type Test } from 'tap'
import { clientAddressKey, LoginThrottle, type LoginAttempt } from '../../src/security/login-throttle.js'
import { backoffDelayMs, type BackoffPolicy, type ThrottleStore } from '../../src/security/throttle-store.js'
import { FallbackThrottleStore } from '../../src/security/throttle-store-fallback.js'
import { MemoryThrottleStore } from '../../src/security/throttle-store-memory.js'
import { RedisThrottleStore } from '../../src/security/throttle-store-redis.js'
import { createRedis } from '../../plugins/rate-limit.js'
import { REDIS_SKIP, redisPrefix, SHARED_REDIS_URL } from '../helpers/redis.js'

const policy: BackoffPolicy = { freeFailures: 5, baseDelayMs: 1000, maxDelayMs: 900_000, lockThreshold: 100, lockMs: 3_600_000, memoryMs: 86_400_000 }

t.test('D6: back-off is free for 5 failures, then 1 s, 2 s, 4 s... capped at 15 min, then a 1 h hard stop at 100', async (t) => {
  t.same([0, 4, 5, 6, 7, 8].map((f) => backoffDelayMs(f, policy)), [0, 0, 1000, 2000, 4000, 8000])
  t.equal(backoffDelayMs(15, policy), 900_000, 'capped at 15 minutes')
  t.equal(backoffDelayMs(99, policy), 900_000)
  t.equal(backoffDelayMs(100, policy), 3_600_000, 'hard stop at 100 consecutive failures')
  t.equal(backoffDelayMs(10_000, policy), 3_600_000, 'no overflow, never permanent')
})

t.test('D6: IPv6 clients are grouped by /64, IPv4 and IPv4-mapped by address', async (t) => {
  t.equal(clientAddressKey('2001:db8:1:2:aaaa::1'), clientAddressKey('2001:db8:1:2:ffff:1:2:3'), 'same /64')
  t.not(clientAddressKey('2001:db8:1:2::1'), clientAddressKey('2001:db8:1:3::1'), 'another /64')
  t.equal(clientAddressKey('2001:DB8:1:2::1'), clientAddressKey('2001:db8:1:2::5'), 'case-insensitive')
  t.equal(clientAddressKey('::ffff:192.0.2.7'), '192.0.2.7', 'IPv4-mapped is the IPv4 address')
  t.not(clientAddressKey('192.0.2.7'), clientAddressKey('192.0.2.8'))
  t.equal(clientAddressKey('not-an-address'), 'not-an-address', 'never throws')
})

/** The same behaviour is required of the in-memory and the Redis store. */
function storeContract (name: string, makeStore: (t: Test) => Promise<ThrottleStore>, skip: string | false = false): void {
  t.test(`${name}: account back-off, lock window, reset`, { skip }, async (t) => {
    const store = await makeStore(t)
    const now = 1_000_000
    for (let i = 1; i <= 5; i++) t.match(await store.acquireAccount('a', now, policy), { allowed: true, count: i }, `free failure ${i}`)
    t.same(await store.acquireAccount('a', now + 999, policy), { allowed: false, count: 5, retryAfterMs: 1 }, 'the 6th waits 1 s')
    t.match(await store.acquireAccount('a', now + 1000, policy), { allowed: true, count: 6 })
    t.same(await store.acquireAccount('a', now + 2000, policy), { allowed: false, count: 6, retryAfterMs: 1000 }, 'then 2 s')
    t.match(await store.acquireAccount('b', now, policy), { allowed: true, count: 1 }, 'accounts are independent')
    await store.resetAccount('a')
    t.match(await store.acquireAccount('a', now + 2000, policy), { allowed: true, count: 1 }, 'reset on success')
  })

  t.test(`${name}: hard stop at the threshold is temporary`, { skip }, async (t) => {
    const store = await makeStore(t)
    const strict: BackoffPolicy = { ...policy, freeFailures: 3, lockThreshold: 3, lockMs: 60_000 }
    for (let i = 0; i < 3; i++) t.ok((await store.acquireAccount('x', 0, strict)).allowed)
    t.same(await store.acquireAccount('x', 59_999, strict), { allowed: false, count: 3, retryAfterMs: 1 })
    t.match(await store.acquireAccount('x', 60_000, strict), { allowed: true, count: 4 }, 'one attempt once the window ends')
    t.match(await store.acquireAccount('x', 60_001, strict), { allowed: false, retryAfterMs: 59_999 }, 'a further failure locks again')
  })

  t.test(`${name}: concurrent attempts cannot share a free slot`, { skip }, async (t) => {
    const store = await makeStore(t)
    const results = await Promise.all(Array.from({ length: 30 }, async () => await store.acquireAccount('c', 5000, policy)))
    t.equal(results.filter((r) => r.allowed).length, 5)
    const windows = await Promise.all(Array.from({ length: 30 }, async () => await store.acquireWindow('w', 5000, 7, 60_000)))
    t.equal(windows.filter((r) => r.allowed).length, 7)
  })

  t.test(`${name}: fixed window counts, refuses, releases, expires`, { skip }, async (t) => {
    const store = await makeStore(t)
    t.match(await store.acquireWindow('ip', 0, 2, 300), { allowed: true, count: 1 })
    t.match(await store.acquireWindow('ip', 0, 2, 300), { allowed: true, count: 2 })
    const refused = await store.acquireWindow('ip', 0, 2, 300)
    t.equal(refused.allowed, false)
    t.ok(refused.retryAfterMs > 0 && refused.retryAfterMs <= 300)
    await store.releaseWindow('ip', 0)
    t.match(await store.acquireWindow('ip', 0, 2, 300), { allowed: true, count: 2 }, 'a released slot is usable again')
    await new Promise((resolve) => setTimeout(resolve, 350))
    t.match(await store.acquireWindow('ip', 400, 2, 300), { allowed: true, count: 1 }, 'a new window starts')
  })
}

storeContract('memory store', async () => new MemoryThrottleStore())

storeContract('redis store', async (t) => {
  const redis = createRedis(SHARED_REDIS_URL)
  t.teardown(() => { redis.disconnect() })
  if (redis.status !== 'ready') await new Promise<void>((resolve) => { redis.once('ready', () => { resolve() }) })
  return new RedisThrottleStore(redis, redisPrefix(t))
}, REDIS_SKIP)

t.test('memory store stays bounded under a flood of usernames', async (t) => {
  const store = new MemoryThrottleStore(100)
  for (let i = 0; i < 1000; i++) await store.acquireAccount(`u${i}`, i, policy)
  t.ok(store.size <= 100)
  t.match(await store.acquireAccount('u999', 1000, policy), { count: 2 }, 'recent entries are kept')
})

t.test('fallback store: a failing primary costs one error, then the local store answers', async (t) => {
  const errors: unknown[] = []
  let calls = 0
  const broken: ThrottleStore = {
    acquireAccount: async () => { calls++; throw new Error('down') },
    resetAccount: async () => { calls++; throw new Error('down') },
    acquireWindow: async () => { calls++; throw new Error('down') },
    releaseWindow: async () => { calls++; throw new Error('down') }
  }
  const store = new FallbackThrottleStore(broken, new MemoryThrottleStore(), { isPrimaryReady: () => true, onPrimaryError: (e) => { errors.push(e) }, cooldownMs: 60_000 })
  for (let i = 0; i < 5; i++) t.ok((await store.acquireAccount('k', 0, policy)).allowed)
  t.equal((await store.acquireAccount('k', 0, policy)).allowed, false, 'limits still apply locally')
  t.equal(calls, 1, 'the broken primary is skipped during the cooldown')
  t.equal(errors.length, 1)
})

t.test('D6: LoginThrottle keys accounts by lower-cased name and addresses across names', async (t) => {
  let now = 0
  const throttle = new LoginThrottle(new MemoryThrottleStore(), { freeFailures: 2, lockThreshold: 4, lockSeconds: 60, addressMaxFailures: 5 }, () => now)
  const attempts: LoginAttempt[] = []
  attempts.push(await throttle.begin('Alice', '192.0.2.1'))
  attempts.push(await throttle.begin('ALICE', '198.51.100.9'))
  const third = await throttle.begin('alice', '203.0.113.5')
  t.match(attempts, [{ allowed: true, failures: 1 }, { allowed: true, failures: 2 }])
  t.match(third, { allowed: false, reason: 'account', retryAfterSeconds: 1, locked: false }, 'one account whatever the case or address')
  now = 1000
  t.match(await throttle.begin('alice', '192.0.2.1'), { allowed: true, failures: 3 })
  now = 3000
  const fourth = await throttle.begin('alice', '192.0.2.1')
  t.match(fourth, { allowed: true, failures: 4, locksOnFailure: true }, 'the attempt that reaches the threshold is flagged')
  t.match(await throttle.begin('alice', '192.0.2.1'), { allowed: false, locked: true, retryAfterSeconds: 60 })
  // 192.0.2.1 has 3 failures; two more usernames fill its window of 5.
  t.match(await throttle.begin('bob', '192.0.2.1'), { allowed: true })
  t.match(await throttle.begin('carol', '192.0.2.1'), { allowed: true })
  t.match(await throttle.begin('dave', '192.0.2.1'), { allowed: false, reason: 'address' }, 'per-address limit across usernames')
  t.match(await throttle.begin('dave', '192.0.2.2'), { allowed: true }, 'other addresses unaffected')
  if (fourth.allowed) await fourth.succeeded()
  t.match(await throttle.begin('alice', '192.0.2.3'), { allowed: true, failures: 1 }, 'success resets the account')
  t.match(await throttle.begin('erin', '192.0.2.1'), { allowed: true }, 'success gave the address its slot back')
})

t.test('fallback store: a primary that never answers is abandoned after the timeout', async (t) => {
  const never = new Promise<never>(() => {})
  const hung: ThrottleStore = {
    acquireAccount: async () => await never,
    resetAccount: async () => await never,
    acquireWindow: async () => await never,
    releaseWindow: async () => await never
  }
  const store = new FallbackThrottleStore(hung, new MemoryThrottleStore(), { isPrimaryReady: () => true, onPrimaryError: () => {}, timeoutMs: 100 })
  const started = performance.now()
  t.match(await store.acquireAccount('k', 0, policy), { allowed: true, count: 1 })
  const elapsed = performance.now() - started
  t.ok(elapsed >= 90 && elapsed < 400, `answered from memory after ${elapsed.toFixed(0)} ms`)
  const second = performance.now()
  await store.acquireWindow('w', 0, 5, 1000)
  t.ok(performance.now() - second < 50, 'no second wait during the cooldown')
})
