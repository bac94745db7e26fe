import t from 'tap'
import { defaultArgon2Concurrency, loadConfig } from '../src/config.js'

t.test('F4: the default hashing concurrency leaves a core to the event loop and a libuv thread to fs', async (t) => {
  t.equal(defaultArgon2Concurrency(1, 4), 1, 'one core: still one hash at a time, never zero')
  t.equal(defaultArgon2Concurrency(2, 4), 1, 'two cores: one for hashing, one for the event loop')
  t.equal(defaultArgon2Concurrency(4, 4), 3)
  t.equal(defaultArgon2Concurrency(16, 4), 3, 'never the whole default libuv pool of 4')
  t.equal(defaultArgon2Concurrency(16, 12), 11, 'a bigger pool lets more cores hash')
})

t.test('F4: ARGON2_MAX_CONCURRENCY set explicitly wins; unset, it follows the pool size', async (t) => {
  const base = { NODE_ENV: 'test', DATABASE_URL: 'sqlite::memory:' }
  t.equal(loadConfig({ ...base, ARGON2_MAX_CONCURRENCY: '6' }).ARGON2_MAX_CONCURRENCY, 6)
  t.ok(loadConfig({ ...base, UV_THREADPOOL_SIZE: '2' }).ARGON2_MAX_CONCURRENCY === 1, 'a pool of 2 keeps one thread free')
})
