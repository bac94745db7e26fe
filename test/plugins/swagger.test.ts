import { existsSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { chromium } from 'playwright-core'
import t from 'tap'
import { buildTestApp, json } from '../helpers/app.js'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

t.test('/docs/json serves the OpenAPI 3.1 document the app generates', async (t) => {
  const { app } = await buildTestApp(t)
  const response = await app.inject({ method: 'GET', url: '/docs/json' })
  t.equal(response.statusCode, 200)
  const document = json(response)
  t.equal(document.openapi, '3.1.0')
  t.same(document, JSON.parse(JSON.stringify(app.swagger())))
})

t.test('G1: Swagger UI has its own CSP: scripts and styles from this origin, never framed, no third party', async (t) => {
  const { app } = await buildTestApp(t)
  const response = await app.inject({ method: 'GET', url: '/docs/' })
  t.equal(response.statusCode, 200)
  const csp = String(response.headers['content-security-policy'])
  t.match(csp, /frame-ancestors 'none'/)
  t.match(csp, /object-src 'none'/)
  t.match(csp, /script-src-attr 'none'/)
  t.notMatch(csp, /validator\.swagger\.io/, 'no image from the public validator')
  t.notMatch(csp, /upgrade-insecure-requests/, 'the UI keeps working over plain HTTP on a LAN address')
})

t.test('G4: DOCS_ENABLED=false serves no Swagger UI, and the API keeps working', async (t) => {
  const { app } = await buildTestApp(t, { DOCS_ENABLED: 'false' })
  for (const url of ['/docs', '/docs/', '/docs/json', '/docs/static/index.html']) {
    const response = await app.inject({ method: 'GET', url })
    t.equal(response.statusCode, 404, `${url} is gone`)
    t.match(response.headers['content-type'], /application\/problem\+json/)
  }
  t.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200)
})

t.test('G1: Swagger UI renders in a real browser under its CSP, with no blocked script and no outside request', {
  skip: existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM} (set CHROMIUM_PATH)`
}, async (t) => {
  const { app } = await buildTestApp(t)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as AddressInfo
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
  t.teardown(async () => { await browser.close() })
  const page = await browser.newPage()
  const problems: string[] = []
  const hosts = new Set<string>()
  page.on('console', (message) => { if (message.type() === 'error') problems.push(message.text()) })
  page.on('pageerror', (error) => { problems.push(error.message) })
  page.on('request', (request) => { hosts.add(new URL(request.url()).host) })
  await page.goto(`http://127.0.0.1:${port}/docs`)
  await page.waitForSelector('.swagger-ui .info .title', { timeout: 20_000 })
  t.match(await page.locator('.swagger-ui .info .title').textContent(), /Secure API/)
  t.ok(await page.locator('.opblock').count() > 5, 'the operations are listed')
  t.ok(await page.locator('.btn.authorize').count() > 0, 'the Authorize button is there')
  // Only a style attribute in Swagger UI's markup is blocked (cosmetic); scripts never are.
  t.same(problems.filter((text) => /script|eval|Refused to load|TypeError|ReferenceError/i.test(text)), [], 'no script blocked, no runtime error')
  t.same([...hosts], [`127.0.0.1:${port}`], 'everything comes from this server')
})
