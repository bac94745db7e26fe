import t, { type Test } from 'tap'
import { clientAddressKey, LoginThrottle, type FailureRecord } from '../../src/security/login-throttle.js'
import { backoffDelayMs, remainingDelayMs, type BackoffPolicy, type ThrottleStore } from '../../src/security/throttle-store.js'
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

/** Short delays so the Redis store (whose clock is Redis's own TIME) runs in real time. */
const quick: BackoffPolicy = { freeFailures: 2, baseDelayMs: 300, maxDelayMs: 1200, lockThreshold: 4, lockMs: 600, memoryMs: 60_000 }
const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

/** The same behaviour is required of the in-memory and the Redis store (I6: each store's own clock). */
function storeContract (name: string, makeStore: (t: Test) => Promise<ThrottleStore>, skip: string | false = false): void {
  t.test(`${name}: D6 back-off counts only failures, refuses only while a delay runs, resets`, { skip }, async (t) => {
    const store = await makeStore(t)
    t.same(await store.checkAccount('a', quick), { allowed: true, count: 0, retryAfterMs: 0 }, 'a fresh account')
    t.match(await store.failAccount('a', quick), { count: 1 })
    t.match(await store.checkAccount('a', quick), { allowed: true, count: 1 }, 'within the free failures: no delay at all')
    t.match(await store.failAccount('a', quick), { count: 2 })
    const refused = await store.checkAccount('a', quick)
    t.match(refused, { allowed: false, count: 2 }, 'past the free failures the next attempt waits')
    t.ok(refused.retryAfterMs > 0 && refused.retryAfterMs <= 300, `retry after ${refused.retryAfterMs} ms`)
    await sleep(320)
    t.match(await store.checkAccount('a', quick), { allowed: true, count: 2 }, 'once the delay has run')
    t.match(await store.checkAccount('b', quick), { allowed: true, count: 0 }, 'accounts are independent')
    await store.resetAccount('a')
    t.match(await store.checkAccount('a', quick), { allowed: true, count: 0 }, 'reset on success')
  })

  t.test(`${name}: D6 hard stop at the threshold is temporary`, { skip }, async (t) => {
    const store = await makeStore(t)
    for (let i = 0; i < 4; i++) await store.failAccount('x', quick)
    const locked = await store.checkAccount('x', quick)
    t.match(locked, { allowed: false, count: 4 })
    t.ok(locked.retryAfterMs > 300 && locked.retryAfterMs <= 600, 'the lock window, not the back-off')
    await sleep(620)
    t.match(await store.checkAccount('x', quick), { allowed: true, count: 4 }, 'one attempt once the window ends')
    await store.failAccount('x', quick)
    t.match(await store.checkAccount('x', quick), { allowed: false, count: 5 }, 'a further failure locks again')
  })

  t.test(`${name}: I6 concurrent checks within the budget are all allowed; concurrent failures all count`, { skip }, async (t) => {
    const store = await makeStore(t)
    await store.failAccount('c', quick)
    const checks = await Promise.all(Array.from({ length: 30 }, async () => await store.checkAccount('c', quick)))
    t.equal(checks.filter((r) => r.allowed).length, 30, 'nothing is refused while no delay runs')
    const failures = await Promise.all(Array.from({ length: 30 }, async () => await store.failAccount('d', quick)))
    t.same(failures.map((r) => r.count).sort((a, b) => a - b), Array.from({ length: 30 }, (_, i) => i + 1), 'atomic counting')
  })

  t.test(`${name}: fixed window of failures refuses at the limit and expires`, { skip }, async (t) => {
    const store = await makeStore(t)
    t.match(await store.checkWindow('ip', 2), { allowed: true, count: 0 })
    await store.failWindow('ip', 300)
    t.match(await store.checkWindow('ip', 2), { allowed: true, count: 1 })
    await store.failWindow('ip', 300)
    const refused = await store.checkWindow('ip', 2)
    t.equal(refused.allowed, false)
    t.ok(refused.retryAfterMs > 0 && refused.retryAfterMs <= 300)
    await sleep(350)
    t.match(await store.checkWindow('ip', 2), { allowed: true, count: 0 }, 'a new window starts')
  })
}

storeContract('memory store', async () => new MemoryThrottleStore())

storeContract('redis store', async (t) => {
  const redis = await createRedis(SHARED_REDIS_URL)
  t.teardown(() => { redis.disconnect() })
  if (redis.status !== 'ready') await new Promise<void>((resolve) => { redis.once('ready', () => { resolve() }) })
  return new RedisThrottleStore(redis, redisPrefix(t))
}, REDIS_SKIP)

t.test('I6: a delay of zero never refuses, even when the last failure carries a later clock reading', async (t) => {
  let now = 10_000
  const store = new MemoryThrottleStore(100, () => now)
  await store.failAccount('k', policy)
  now = 9_000
  t.match(await store.checkAccount('k', policy), { allowed: true, count: 1 }, 'within the free failures, whatever the clocks say')
  t.equal(remainingDelayMs(1, 10_000, 9_000, policy), 0)
  t.equal(remainingDelayMs(5, 10_000, 10_500, policy), 500, 'a real delay is still enforced')
})

t.test('memory store stays bounded under a flood of usernames', async (t) => {
  let now = 0
  const store = new MemoryThrottleStore(100, () => now)
  for (let i = 0; i < 1000; i++) {
    now = i
    await store.failAccount(`u${i}`, policy)
  }
  t.ok(store.size <= 100)
  t.match(await store.checkAccount('u999', policy), { count: 1 }, 'recent entries are kept')
})

t.test('fallback store: a failing primary costs one error, then the local store answers', async (t) => {
  const errors: unknown[] = []
  let calls = 0
  const down = async (): Promise<never> => { calls++; throw new Error('down') }
  const broken: ThrottleStore = { checkAccount: down, failAccount: down, resetAccount: down, checkWindow: down, failWindow: down }
  const store = new FallbackThrottleStore(broken, new MemoryThrottleStore(), { isPrimaryReady: () => true, onPrimaryError: (e) => { errors.push(e) }, cooldownMs: 60_000 })
  for (let i = 0; i < 5; i++) await store.failAccount('k', policy)
  t.equal((await store.checkAccount('k', policy)).allowed, false, 'limits still apply locally')
  t.equal(calls, 1, 'the broken primary is skipped during the cooldown')
  t.equal(errors.length, 1)
})

t.test('D6 I6: LoginThrottle keys accounts by lower-cased name, addresses across names; only verified failures count', async (t) => {
  let now = 0
  const throttle = new LoginThrottle(new MemoryThrottleStore(100, () => now), { freeFailures: 2, lockThreshold: 4, lockSeconds: 60, addressMaxFailures: 5 })
  const fail = async (username: string, ip: string): Promise<FailureRecord | undefined> => {
    const attempt = await throttle.begin(username, ip)
    return attempt.allowed ? await attempt.failed() : undefined
  }
  const unused = await Promise.all(Array.from({ length: 10 }, async () => await throttle.begin('Alice', '192.0.2.1')))
  t.ok(unused.every((attempt) => attempt.allowed), 'attempts that never fail cost nothing: 10 concurrent ones are all allowed')
  t.match(await fail('Alice', '192.0.2.1'), { failures: 1, locked: false })
  t.match(await fail('ALICE', '198.51.100.9'), { failures: 2 })
  t.match(await throttle.begin('alice', '203.0.113.5'), { allowed: false, reason: 'account', retryAfterSeconds: 1, locked: false }, 'one account whatever the case or address')
  now = 1000
  t.match(await fail('alice', '192.0.2.1'), { failures: 3 })
  now = 3000
  t.match(await fail('alice', '192.0.2.1'), { failures: 4, locked: true }, 'the failure that reaches the threshold locks')
  t.match(await throttle.begin('alice', '192.0.2.1'), { allowed: false, locked: true, retryAfterSeconds: 60 })
  const device = await throttle.begin('alice', '192.0.2.9', 'device-1')
  t.match(device, { allowed: true }, 'I7: a device token of the account has its own budget')
  // 192.0.2.1 has 3 failures; two more usernames fill its window of 5.
  await fail('bob', '192.0.2.1')
  await fail('carol', '192.0.2.1')
  t.match(await throttle.begin('dave', '192.0.2.1'), { allowed: false, reason: 'address' }, 'per-address limit across usernames')
  t.match(await throttle.begin('dave', '192.0.2.2'), { allowed: true }, 'other addresses unaffected')
  now = 64_000
  const success = await throttle.begin('alice', '192.0.2.3')
  if (success.allowed) await success.succeeded()
  t.match(await throttle.begin('alice', '192.0.2.3'), { allowed: true }, 'success resets the account')
  t.match(await fail('alice', '192.0.2.3'), { failures: 1 }, 'counting starts again from zero')
})

t.test('fallback store: a primary that never answers is abandoned after the timeout', async (t) => {
  const never = new Promise<never>(() => {})
  const hang = async (): Promise<never> => await never
  const hung: ThrottleStore = { checkAccount: hang, failAccount: hang, resetAccount: hang, checkWindow: hang, failWindow: hang }
  const store = new FallbackThrottleStore(hung, new MemoryThrottleStore(), { isPrimaryReady: () => true, onPrimaryError: () => {}, timeoutMs: 100 })
  const started = performance.now()
  t.match(await store.failAccount('k', policy), { allowed: true, count: 1 })
  const elapsed = performance.now() - started
  t.ok(elapsed >= 90 && elapsed < 400, `answered from memory after ${elapsed.toFixed(0)} ms`)
  const second = performance.now()
  await store.checkWindow('w', 5)
  t.ok(performance.now() - second < 50, 'no second wait during the cooldown')
})
