import { existsSync, mkdirSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Page } from 'playwright-core'
import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { STRONG_PASSWORD, uniqueUsername } from '../helpers/users.js'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url))
const SKIP = existsSync(CHROMIUM) ? false : `passkeys browser test skipped: ${CHROMIUM} is missing (apt-get install -y chromium)`
/** Generous: two cores shared by many processes make a cold Chromium slow. */
const STEP_TIMEOUT = 30_000

/** A port free right now on 127.0.0.1: the relying party's origin must be known before the app is built. */
async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => { resolve(typeof address === 'object' && address !== null ? address.port : 0) })
    })
  })
}

/**
 * Clicks a button of the example page and waits until its status line says `done` (or fails
 * with what it says). Polled from here: the page's CSP forbids the eval that waitForFunction needs.
 */
async function step (page: Page, button: string, done: RegExp): Promise<string> {
  await page.locator(`#${button}`).click()
  const status = page.locator('#status')
  const deadline = Date.now() + STEP_TIMEOUT
  for (;;) {
    const text = (await status.textContent()) ?? ''
    if (done.test(text)) return text
    if (await status.getAttribute('class') === 'error' || Date.now() > deadline) {
      throw new Error(`${button}: the page says "${text}": ${(await page.locator('#output').textContent()) ?? ''}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

t.test('passkeys in Chromium: enrol through the example page, log out, log in with the passkey alone, GET /protected', { skip: SKIP, timeout: 240_000 }, async (t) => {
  const started = Date.now()
  const port = await freePort()
  // WebAuthn needs a secure context: http://localhost is one (127.0.0.1 is too, but is no valid RP ID).
  const origin = `http://localhost:${port}`
  const { app } = await buildTestApp(t, { PORT: String(port) })
  t.equal(app.config.WEBAUTHN_ORIGINS, origin, 'the development defaults follow PORT')
  await app.listen({ port, host: '127.0.0.1' })

  // A user registered through the API, as any client would.
  const username = uniqueUsername('browser')
  const registered = await fetch(`http://127.0.0.1:${port}/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: STRONG_PASSWORD }) })
  t.equal(registered.status, 201, 'registered through the API')

  const userDataDir = await mkdtemp(join(tmpdir(), 'secure-api-chromium-'))
  t.teardown(async () => { await rm(userDataDir, { recursive: true, force: true }) })
  const launched = Date.now()
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: 1000, height: 1100 }
  })
  t.teardown(async () => { await context.close() })
  const launchMs = Date.now() - launched

  await context.addInitScript({
    content: `window.__cspViolations = [];
      document.addEventListener('securitypolicyviolation', (event) => {
        window.__cspViolations.push(event.violatedDirective + ' ' + event.blockedURI + ' ' + (event.sample || ''))
      })`
  })
  const page = context.pages()[0] ?? await context.newPage()
  const consoleErrors: string[] = []
  const pageErrors: string[] = []
  page.on('console', (message) => { if (message.type() === 'error') consoleErrors.push(message.text()) })
  page.on('pageerror', (error) => { pageErrors.push(error.message) })

  // A platform authenticator that keeps resident keys and verifies its user (CDP WebAuthn domain).
  const cdp = await context.newCDPSession(page)
  await cdp.send('WebAuthn.enable')
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true }
  })

  const loaded = await page.goto(`${origin}/examples/passkeys/`, { waitUntil: 'load', timeout: STEP_TIMEOUT })
  t.equal(loaded?.status(), 200, 'the example page is served')
  t.match(loaded?.headers()['content-security-policy'], /script-src 'self'.*frame-ancestors 'none'/, 'under its own strict CSP')
  await page.waitForSelector('body[data-ready="true"]', { timeout: STEP_TIMEOUT })

  await page.locator('#username').fill(username)
  await page.locator('#password').fill(STRONG_PASSWORD)
  await step(page, 'login', /Logged in with the password/)
  t.match(await page.locator('#session').textContent(), /amr: pwd/, 'a password session')

  await step(page, 'enrol', /enrolled/)
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId })
  t.equal(credentials.length, 1, 'the virtual authenticator holds one credential')
  t.equal(credentials[0]?.isResidentCredential, true, 'a discoverable one (a passkey)')
  t.equal(credentials[0]?.rpId, 'localhost', 'bound to the RP ID')

  await step(page, 'logout', /Logged out/)
  t.equal(await page.locator('#session').textContent(), 'Not signed in.', 'the page forgot the tokens')

  await step(page, 'passkey-login', /Logged in with the passkey alone/)
  t.match(await page.locator('#session').textContent(), new RegExp(`Signed in as ${username.replace(/\./g, '\\.')} \\(amr: hwk, user; acr: urn:secure-api:acr:mfa\\)`), 'K4: the new session says hwk and user, acr mfa')

  await step(page, 'protected', /GET \/protected answered 200/)
  const output = (await page.locator('#output').textContent()) ?? ''
  t.match(output, 'This is a protected route!', 'the protected route answered')
  t.match(output, username, 'as the passkey\'s user')

  // The passkey as the second factor of a password login (K3): the page finishes the MFA step with it.
  await step(page, 'logout', /Logged out/)
  await step(page, 'login', /Logged in with the password and the passkey as second factor/)
  t.match(await page.locator('#session').textContent(), /amr: pwd, hwk, user, mfa; acr: urn:secure-api:acr:mfa/, 'K4: password plus hardware key')
  await step(page, 'protected', /GET \/protected answered 200/)

  mkdirSync(ARTIFACTS, { recursive: true })
  await page.screenshot({ path: join(ARTIFACTS, 'passkeys.png'), fullPage: true })
  t.ok(existsSync(join(ARTIFACTS, 'passkeys.png')), 'screenshot saved to test-artifacts/passkeys.png')

  const audit = await app.db.selectFrom('audit_events').select(['type', 'outcome']).where('type', 'in', ['passkey_register', 'passkey_login']).orderBy('at').execute()
  t.same(audit, [{ type: 'passkey_register', outcome: 'success' }, { type: 'passkey_login', outcome: 'success' }], 'J1: enrolment and login audited')
  const mfa = await app.db.selectFrom('audit_events').select(['type', 'outcome', 'details']).where('type', '=', 'mfa_verify').execute()
  t.match(mfa, [{ outcome: 'success', details: /"method":"webauthn"/ }], 'J1: the MFA step with the passkey audited')
  t.same(await page.evaluate<string[]>('window.__cspViolations || []'), [], 'no securitypolicyviolation event')
  t.same(consoleErrors.filter((text) => /content security policy|refused to/i.test(text)), [], 'no CSP violation in the console')
  t.same(pageErrors, [], 'no uncaught page error')
  t.comment(`passkeys browser test took ${Date.now() - started} ms (Chromium launch ${launchMs} ms)`)
})
