import { randomBytes } from 'node:crypto'
import { Writable } from 'node:stream'
import { pino, type Logger, type LoggerOptions } from 'pino'
import t from 'tap'
import { loadConfig } from '../../src/config.js'
import { loggerOptions, REDACTED_PATHS, type LoggerSetup } from '../../src/logger.js'
import { buildTestApp, testEnv } from '../helpers/app.js'
import { bearer, login, registerUser, uniqueUsername } from '../helpers/users.js'

/** The key a `*` segment stands for in the logged object: any key must do. */
const WILDCARD_KEY = 'anything_at_all'

/**
 * A pino/fast-redact path as its segments: `a.b`, `a["b-c"]`, `a['b']`, `*.b`, `a[*]`.
 * Throws on syntax it does not know, so a new kind of path cannot pass unchecked.
 */
export function pathSegments (path: string): string[] {
  const segments: string[] = []
  const token = /(?:^|\.)([^.[\]"']+)|\[(?:"([^"]*)"|'([^']*)'|(\*))\]/gy
  let match: RegExpExecArray | null
  while ((match = token.exec(path)) !== null) {
    const segment = match[1] ?? match[2] ?? match[3] ?? match[4]
    if (segment === undefined) break
    segments.push(segment)
    if (token.lastIndex === path.length) return segments
  }
  throw new Error(`cannot parse redaction path ${path}`)
}

/** An object holding `value` exactly at `segments` (a wildcard becomes an arbitrary key). */
function objectAt (segments: string[], value: string): Record<string, unknown> {
  const [head, ...rest] = segments
  if (head === undefined) throw new Error('empty path')
  const key = head === '*' ? WILDCARD_KEY : head
  return { [key]: rest.length === 0 ? value : objectAt(rest, value) }
}

function valueAt (object: unknown, segments: string[]): unknown {
  let current = object
  for (const segment of segments) {
    if (current === null || typeof current !== 'object') return undefined
    current = (current as Record<string, unknown>)[segment === '*' ? WILDCARD_KEY : segment]
  }
  return current
}

function capture (): { stream: Writable, text: () => string } {
  const chunks: string[] = []
  const stream = new Writable({
    write (chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'))
      callback()
    }
  })
  return { stream, text: () => chunks.join('') }
}

/** A pino logger from the options Fastify gets: Fastify passes `stream` as pino's destination. */
function appLogger (options: LoggerSetup): Logger {
  const { stream, ...rest } = options
  if (stream === undefined) throw new Error('no stream')
  return pino(rest as LoggerOptions, stream)
}

t.test('H2: the path parser reads every form REDACTED_PATHS uses', async (t) => {
  t.same(pathSegments('req.headers.authorization'), ['req', 'headers', 'authorization'])
  t.same(pathSegments('req.headers["proxy-authorization"]'), ['req', 'headers', 'proxy-authorization'])
  t.same(pathSegments('*.password'), ['*', 'password'])
  t.same(pathSegments('token'), ['token'])
  t.same(pathSegments('a[*].b'), ['a', '*', 'b'])
  t.throws(() => pathSegments('a..b'))
  t.throws(() => pathSegments('a["b'))
})

t.test('H2: every REDACTED_PATHS entry is censored by the logger the app uses', async (t) => {
  const config = loadConfig(testEnv(t, { LOG_LEVEL: 'trace' }))
  t.ok(REDACTED_PATHS.length >= 10, 'the list is there')
  for (const path of REDACTED_PATHS) {
    const segments = pathSegments(path)
    const canary = `canary-${randomBytes(12).toString('hex')}`

    // The logger exactly as configured (serializers included): the canary never comes out.
    const real = capture()
    const logger = appLogger(loggerOptions(config, real.stream))
    const probe = (): Record<string, unknown> => {
      const logged = objectAt(segments, canary)
      // The req serializer needs a request-like object; it keeps method, path and ip only.
      if (segments[0] === 'req') Object.assign(logged.req as Record<string, unknown>, { method: 'GET', url: '/somewhere?x=1', ip: '192.0.2.1' })
      return logged
    }
    logger.info(probe(), 'redaction probe')
    logger.child({ reqId: 'child' }).warn(probe(), 'redaction probe from a child logger')
    t.ok(real.text().includes('redaction probe'), `${path}: the line was written`)
    t.notOk(real.text().includes(canary), `H2: ${path}: the canary is not in the output`)

    // The redact option alone, without serializers that might hide the value anyway: it is what censors.
    const bare = capture()
    const { serializers: _serializers, ...withoutSerializers } = loggerOptions(config, bare.stream)
    const redactOnly = appLogger(withoutSerializers)
    redactOnly.info(objectAt(segments, canary), 'redaction probe')
    const text = bare.text()
    t.notOk(text.includes(canary), `H2: ${path}: redacted by the redact option`)
    const line = JSON.parse(text.trim()) as Record<string, unknown>
    t.equal(valueAt(line, segments), '[REDACTED]', `H2: ${path}: '[REDACTED]' stands exactly where the secret was`)
  }
})

t.test('H2: end to end, a password and an Authorization header at LOG_LEVEL=trace never reach the log', async (t) => {
  const { app, rawLogs } = await buildTestApp(t, { LOG_LEVEL: 'trace' })
  const password = `canary-password-${randomBytes(8).toString('hex')}`
  const authorization = `canary-auth-${randomBytes(8).toString('hex')}`
  const proxyAuthorization = `canary-proxy-${randomBytes(8).toString('hex')}`
  const cookie = `canary-cookie-${randomBytes(8).toString('hex')}`
  const user = await registerUser(app, uniqueUsername('redact'), password)
  const tokens = await login(app, user.username, password, { authorization: `Bearer ${authorization}`, cookie: `sid=${cookie}` })
  const refused = await app.inject({ method: 'GET', url: '/protected', headers: { ...bearer(authorization), 'proxy-authorization': `Basic ${proxyAuthorization}`, cookie: `sid=${cookie}` } })
  t.equal(refused.statusCode, 401, 'the canary token is refused (and that is logged)')
  const wrong = await app.inject({ method: 'POST', url: '/auth/login', payload: { username: user.username, password: `${password}-wrong` }, headers: { authorization: `Basic ${authorization}` } })
  t.equal(wrong.statusCode, 401)

  const raw = rawLogs()
  t.match(raw, /"event":"login","outcome":"success"/, 'the login was logged: the check is not vacuous')
  t.match(raw, /auth_invalid_token/, 'the refused token was logged')
  t.match(raw, /request completed/, 'every request is logged (one access line each)')
  for (const [name, canary] of Object.entries({ password, authorization, proxyAuthorization, cookie, accessToken: tokens.access_token, refreshToken: tokens.refresh_token })) {
    t.notOk(raw.includes(canary), `H2: the ${name} canary is not in the logs`)
  }
})
