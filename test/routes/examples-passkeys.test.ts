import t from 'tap'
import { buildTestApp } from '../helpers/app.js'

t.test('the passkeys example page is served under its own CSP when enabled (default outside production)', async (t) => {
  const { app } = await buildTestApp(t)
  const page = await app.inject({ method: 'GET', url: '/examples/passkeys/' })
  t.equal(page.statusCode, 200)
  t.match(page.headers['content-type'], /^text\/html/)
  t.match(page.body, '<script src="/examples/passkeys/app.js" defer></script>')
  t.notMatch(page.body, /<script>|<script [^>]*>[^<]+<\/script>|\son[a-z]+=|<style/, 'no inline script, handler or style: the CSP allows none')
  const csp = String(page.headers['content-security-policy'])
  t.match(csp, /script-src 'self'/)
  t.match(csp, /frame-ancestors 'none'/, 'G1 holds on the page too')
  t.notMatch(csp, /unsafe-inline|unsafe-eval|https?:/, 'nothing inline, nothing from elsewhere')
  t.equal(page.headers['x-content-type-options'], 'nosniff')
  const bundle = await app.inject({ method: 'GET', url: '/examples/passkeys/simplewebauthn-browser.js' })
  t.equal(bundle.statusCode, 200)
  t.match(bundle.headers['content-type'], /^text\/javascript/)
  t.match(bundle.body, /SimpleWebAuthnBrowser/, 'the @simplewebauthn/browser bundle from node_modules, no CDN')
  t.equal((await app.inject({ method: 'GET', url: '/examples/passkeys/app.js' })).statusCode, 200)
  t.equal((await app.inject({ method: 'GET', url: '/examples/passkeys/style.css' })).statusCode, 200)
  const bare = await app.inject({ method: 'GET', url: '/examples/passkeys' })
  t.equal(bare.statusCode, 301)
  t.equal(bare.headers.location, '/examples/passkeys/')
  t.equal((await app.inject({ method: 'GET', url: '/examples/passkeys/../../package.json' })).statusCode, 404, 'only the listed files')
  t.match(String((await app.inject({ method: 'GET', url: '/protected' })).headers['content-security-policy']), /default-src 'none'/, 'the API keeps its CSP')
})

t.test('PASSKEY_EXAMPLE=false: no page at all', async (t) => {
  const { app } = await buildTestApp(t, { PASSKEY_EXAMPLE: 'false' })
  t.equal((await app.inject({ method: 'GET', url: '/examples/passkeys/' })).statusCode, 404)
  t.equal((await app.inject({ method: 'GET', url: '/examples/passkeys/simplewebauthn-browser.js' })).statusCode, 404)
})
