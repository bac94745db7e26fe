import { existsSync, mkdirSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Locator, type Page } from 'playwright-core'
import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { STRONG_PASSWORD, uniqueUsername } from '../helpers/users.js'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url))
const SKIP = existsSync(CHROMIUM) ? false : `Swagger UI browser test skipped: ${CHROMIUM} is missing (apt-get install -y chromium)`
/** Generous: two cores shared by many processes make a cold Chromium slow. */
const STEP_TIMEOUT = 30_000

/** Expands an operation (ids are operations-<tag>-<operationId> with deepLinking). */
async function openOperation (page: Page, tag: string, operationId: string): Promise<Locator> {
  const block = page.locator(`#operations-${tag}-${operationId}`)
  await block.waitFor({ timeout: STEP_TIMEOUT })
  if (await block.locator('.opblock-body').count() === 0) await block.locator('.opblock-summary').first().click()
  await block.locator('.opblock-body').waitFor({ timeout: STEP_TIMEOUT })
  // tryItOutEnabled opens the form already; press "Try it out" only if it is not.
  const tryItOut = block.locator('button.try-out__btn')
  if ((await tryItOut.textContent())?.trim() === 'Try it out') await tryItOut.click()
  return block
}

/** Presses Execute and returns the status code and body text Swagger UI shows. */
async function execute (block: Locator): Promise<{ status: string, body: string }> {
  await block.locator('button.execute').click()
  const response = block.locator('.live-responses-table .response').first()
  await response.waitFor({ timeout: STEP_TIMEOUT })
  const status = (await response.locator('.response-col_status').textContent())?.trim() ?? ''
  const body = (await response.locator('.response-col_description pre').first().textContent()) ?? ''
  return { status, body }
}

async function fillBody (block: Locator, body: unknown): Promise<void> {
  await block.locator('textarea.body-param__text').fill(JSON.stringify(body))
}

t.test('Swagger UI in Chromium: register, log in, Authorize, call GET /protected, under its CSP', { skip: SKIP, timeout: 180_000 }, async (t) => {
  const started = Date.now()
  const { app } = await buildTestApp(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const origin = `http://127.0.0.1:${port}`

  const userDataDir = await mkdtemp(join(tmpdir(), 'secure-api-chromium-'))
  t.teardown(async () => { await rm(userDataDir, { recursive: true, force: true }) })
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 1000 }
  })
  t.teardown(async () => { await context.close() })

  // CSP violations arrive as console errors and as securitypolicyviolation events; keep both.
  const consoleErrors: string[] = []
  const pageErrors: string[] = []
  // A string, not a function: the test compiles without the DOM library.
  await context.addInitScript({
    content: `window.__cspViolations = [];
      document.addEventListener('securitypolicyviolation', (event) => {
        window.__cspViolations.push(event.violatedDirective + ' ' + event.blockedURI + ' ' + (event.sample || ''))
      })`
  })
  const page = context.pages()[0] ?? await context.newPage()
  page.on('console', (message) => { if (message.type() === 'error') consoleErrors.push(message.text()) })
  page.on('pageerror', (error) => { pageErrors.push(error.message) })

  const docs = await page.goto(`${origin}/docs`, { waitUntil: 'load', timeout: STEP_TIMEOUT })
  t.equal(docs?.status(), 200, '/docs answers')
  t.ok(page.url().startsWith(`${origin}/docs`), 'stays on /docs')
  await page.locator('.swagger-ui .information-container .title').waitFor({ timeout: STEP_TIMEOUT })
  t.match(await page.locator('.swagger-ui .information-container .title').textContent(), /Secure API/, 'the UI rendered the OpenAPI document')

  const username = uniqueUsername('swagger')
  const register = await openOperation(page, 'auth', 'register')
  await fillBody(register, { username, password: STRONG_PASSWORD })
  const registered = await execute(register)
  t.equal(registered.status, '201', 'POST /auth/register via Try it out: 201')
  t.match(registered.body, username)

  const login = await openOperation(page, 'auth', 'login')
  await fillBody(login, { username, password: STRONG_PASSWORD })
  const loggedIn = await execute(login)
  t.equal(loggedIn.status, '200', 'POST /auth/login via Try it out: 200')
  const accessToken = (JSON.parse(loggedIn.body) as { access_token: string }).access_token
  t.match(accessToken, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'the access_token shown is a JWT')

  // Authorize: paste the token into the bearerAuth scheme.
  await page.locator('.scheme-container button.authorize').click()
  const modal = page.locator('.dialog-ux .modal-ux')
  await modal.waitFor({ timeout: STEP_TIMEOUT })
  await modal.locator('input[type="text"], input[type="password"]').first().fill(accessToken)
  await modal.locator('button.modal-btn.auth.authorize').click()
  await modal.locator('button.modal-btn.auth.btn-done, button.btn-done').first().click()
  await modal.waitFor({ state: 'detached', timeout: STEP_TIMEOUT })
  t.ok(await page.locator('.scheme-container button.authorize.locked').count() > 0, 'the Authorize button shows a closed lock')
  mkdirSync(ARTIFACTS, { recursive: true })
  await page.evaluate('window.scrollTo(0, 0)')
  await page.screenshot({ path: join(ARTIFACTS, 'swagger-ui-authorized.png') })

  const protectedOp = await openOperation(page, 'examples', 'getProtected')
  const shown = await execute(protectedOp)
  t.equal(shown.status, '200', 'GET /protected with the pasted token: 200')
  t.match(shown.body, 'This is a protected route!', 'the body shown is the protected message')
  t.match(shown.body, username)

  await protectedOp.scrollIntoViewIfNeeded()
  await page.screenshot({ path: join(ARTIFACTS, 'swagger-ui.png') })
  t.ok(existsSync(join(ARTIFACTS, 'swagger-ui.png')), 'screenshot saved to test-artifacts/swagger-ui.png')

  // persistAuthorization: the token survives a reload (Swagger UI keeps it in localStorage).
  await page.reload({ waitUntil: 'load', timeout: STEP_TIMEOUT })
  await page.locator('.scheme-container button.authorize.locked').waitFor({ timeout: STEP_TIMEOUT })
  const again = await execute(await openOperation(page, 'examples', 'getProtected'))
  t.equal(again.status, '200', 'after a reload GET /protected still works without re-authorizing')

  const violations = await page.evaluate<string[]>('window.__cspViolations || []')
  t.same(violations, [], 'no securitypolicyviolation event')
  t.same(consoleErrors.filter((text) => /content security policy|refused to/i.test(text)), [], 'no CSP violation in the console')
  t.same(pageErrors, [], 'no uncaught page error')
  t.comment(`Swagger UI browser test took ${Date.now() - started} ms (server start, Chromium launch, 5 executions, reload)`)
})
