import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { bearer, registerAndLogin } from '../helpers/users.js'

type LogLine = Record<string, unknown>

t.test('H1/H4: request lines carry method, path (no query), ip and the request id, with ISO UTC times', async (t) => {
  const testApp = await buildTestApp(t)
  await testApp.app.inject({ method: 'GET', url: '/health?secret=query-canary', headers: { 'x-request-id': 'log-line-1', 'user-agent': 'agent-canary' } })
  const lines = testApp.logs.filter((line) => line.reqId === 'log-line-1')
  // One access line per request (issue 10): Fastify's incoming/completed pair is disabled.
  t.equal(lines.length, 1, 'one access line')
  const access = lines.find((line) => line.msg === 'request completed')
  t.same(access?.req, { method: 'GET', path: '/health', ip: '127.0.0.1' }, 'only what is needed; no headers')
  t.equal(access?.route, '/health', 'the route pattern')
  t.same(access?.res, { statusCode: 200 }, 'the status')
  t.type(access?.responseTime, 'number', 'the duration in ms')
  for (const line of testApp.logs) {
    t.match(line.time, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/, 'UTC time')
    t.type(line.level, 'string', 'level as a label')
  }
  t.notMatch(testApp.rawLogs(), /query-canary/, 'the query string is never logged')
})

t.test('H3: rejected tokens are logged at warn, at most 20 a second, with a count of the rest', async (t) => {
  const testApp = await buildTestApp(t)
  const { app } = testApp
  // Align to the start of a second so the burst falls in one window.
  await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 10))
  const burst = await Promise.all(Array.from({ length: 60 }, async () => await app.inject({ method: 'GET', url: '/protected', headers: { authorization: 'Bearer not.a.token' } })))
  t.ok(burst.every((response) => response.statusCode === 401))
  const warnings = (): LogLine[] => testApp.logs.filter((line) => line.level === 'warn' && (line.security as LogLine | undefined)?.event === 'auth_invalid_token')
  const inBurst = warnings().length
  t.ok(inBurst > 0, 'rejections are logged')
  t.ok(inBurst <= 40, `bounded: ${inBurst} of 60 logged`)
  await new Promise((resolve) => setTimeout(resolve, 1100))
  await app.inject({ method: 'GET', url: '/protected', headers: { authorization: 'Bearer not.a.token' } })
  const summaries = testApp.logs.filter((line) => (line.security as LogLine | undefined)?.event === 'warnings_suppressed')
  t.ok(summaries.length >= 1, 'the suppressed ones are counted')
  const counted = summaries.reduce((sum, line) => sum + Number((line.security as LogLine).count), 0)
  t.equal(inBurst + counted, 60, 'logged plus suppressed is every rejection')
  const first = warnings()[0]?.security as LogLine | undefined
  t.equal(first?.ip, '127.0.0.1', 'the source address is in the warning')
})

t.test('issue 10: the access line names the authenticated user, and only the user id', async (t) => {
  const testApp = await buildTestApp(t)
  const user = await registerAndLogin(testApp.app)
  await testApp.app.inject({ method: 'GET', url: '/protected', headers: { ...bearer(user.tokens.access_token), 'x-request-id': 'log-line-2' } })
  const access = testApp.logs.find((line) => line.reqId === 'log-line-2' && line.msg === 'request completed')
  t.equal(access?.user_id, user.id, 'the user id from the verified token')
  t.same(access?.res, { statusCode: 200 })
  t.equal(access?.route, '/protected')
})
