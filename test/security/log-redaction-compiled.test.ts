import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { destination } from 'pino'
import t from 'tap'
import { buildApp } from '../../src/build-app.js'
import { loadConfig } from '../../src/config.js'
import { CENSOR, compileRedaction, REDACTED_PATHS } from '../../src/logger.js'
import { tempDir, testEnv } from '../helpers/app.js'

const redact = compileRedaction(REDACTED_PATHS)

t.test('H2: the compiled redaction censors a copy and leaves the logged object as it was', async (t) => {
  const body = { username: 'alice', password: 'canary-password', nested: { password: 'deeper-is-not-a-listed-path' } }
  const logged = { body, user_id: 'u1' }
  const out = redact(logged)
  t.same(out, { body: { username: 'alice', password: CENSOR, nested: { password: 'deeper-is-not-a-listed-path' } }, user_id: 'u1' })
  t.equal(body.password, 'canary-password', 'the request body the route still uses is not changed')
  t.equal(logged.body, body, 'nor the object handed to the logger')
  const clean = { req: { method: 'GET' }, route: '/health', res: { statusCode: 200 } }
  t.equal(redact(clean), clean, 'nothing to censor: the same object, no copy (the hot path)')
})

t.test('H2: top-level keys, headers, and a key listed both by name and by wildcard', async (t) => {
  t.same(redact({ token: 'x', access_token: 'y', msg: 'kept' }), { token: CENSOR, access_token: CENSOR, msg: 'kept' })
  const headers = { authorization: 'Bearer canary', cookie: 'sid=canary', accept: 'application/json' }
  t.same(redact({ headers }), { headers: { authorization: CENSOR, cookie: CENSOR, accept: 'application/json' } })
  // `req` has its own paths (headers) and, like every key, the wildcard's (`*.token`).
  t.same(redact({ req: { headers: { 'proxy-authorization': 'Basic canary' }, token: 'canary' } }), { req: { headers: { 'proxy-authorization': CENSOR }, token: CENSOR } })
  t.same(redact({ res: { headers: { 'set-cookie': ['a=canary'] } } }), { res: { headers: { 'set-cookie': CENSOR } } })
})

t.test('H2: an Error with a secret property stays an Error (for its serializer), censored', async (t) => {
  const error = Object.assign(new Error('boom'), { token: 'canary-token' })
  const out = redact({ err: error }).err as Error & { token: string }
  t.ok(out instanceof Error, 'the prototype is kept')
  t.equal(out.message, 'boom', 'non-enumerable properties are kept')
  t.equal(out.token, CENSOR)
  t.equal(error.token, 'canary-token', 'the original error is not changed')
})

t.test('H2: unsupported path forms are refused when the logger is built, not ignored', async (t) => {
  t.throws(() => compileRedaction(['a[*].b']))
  t.throws(() => compileRedaction(['a.*.b']))
  t.throws(() => compileRedaction(['a..b']))
  t.doesNotThrow(() => compileRedaction(['a["b-c"]', "a['d']", '*.e', 'f']))
})

t.test('issue 10: a buffered destination is flushed when the app closes: no last line is lost', async (t) => {
  const file = join(tempDir(t), 'app.log')
  // A buffer far larger than anything written here: without the flush on close nothing would reach the file.
  const stream = destination({ dest: file, sync: false, minLength: 16_000 })
  await once(stream, 'ready')
  const app = await buildApp(loadConfig(testEnv(t)), { logStream: stream })
  const response = await app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'flush-on-close' } })
  t.equal(response.statusCode, 200)
  app.log.info('last line before close')
  t.notMatch(readFileSync(file, 'utf8'), /flush-on-close/, 'still buffered before close')
  await app.close()
  const lines = readFileSync(file, 'utf8').split('\n').filter((line) => line !== '')
  t.ok(lines.some((line) => line.includes('"reqId":"flush-on-close"')), 'the access line was written')
  t.ok(lines.some((line) => line.includes('last line before close')), 'and the last line')
})
