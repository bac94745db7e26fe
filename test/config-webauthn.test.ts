import t from 'tap'
import { refusal, SECRET } from './helpers/config.js'
import { loadConfig } from '../src/config.js'
import { relyingParty } from '../src/auth/passkeys.js'

const PRODUCTION = { NODE_ENV: 'production', KEY_ENCRYPTION_SECRET: SECRET }

t.test('K6: development defaults are the app on this machine (rp id localhost, http://localhost:PORT)', async (t) => {
  const config = loadConfig({})
  t.same(relyingParty(config), { id: 'localhost', name: 'Secure API', origins: ['http://localhost:3000'] })
  t.same(relyingParty(loadConfig({ PORT: '8080' })).origins, ['http://localhost:8080'], 'the origin follows PORT')
  t.same(relyingParty(loadConfig({ NODE_ENV: 'test' })).id, 'localhost')
  t.equal(config.PASSKEY_EXAMPLE, true, 'the example page is on in development')
})

t.test('K6: production refuses to start without WebAuthn origins, or with plain-HTTP ones (localhost aside)', async (t) => {
  t.match(refusal(PRODUCTION), /WEBAUTHN_ORIGINS: required in production/)
  t.match(refusal({ ...PRODUCTION, WEBAUTHN_ORIGINS: 'http://app.example.com' }), /WEBAUTHN_ORIGINS: "http:\/\/app\.example\.com" must use https in production/)
  t.match(refusal({ ...PRODUCTION, WEBAUTHN_ORIGINS: 'https://app.example.com, http://evil.app.example.com' }), /"http:\/\/evil\.app\.example\.com" must use https/)
  t.equal(refusal({ ...PRODUCTION, WEBAUTHN_ORIGINS: 'https://app.example.com' }), '')
  t.equal(refusal({ ...PRODUCTION, WEBAUTHN_RP_ID: 'localhost', WEBAUTHN_ORIGINS: 'http://localhost:3000' }), '', 'localhost may use http')
  const config = loadConfig({ ...PRODUCTION, WEBAUTHN_ORIGINS: 'https://app.example.com,https://www.app.example.com' })
  t.same(relyingParty(config), { id: 'app.example.com', name: 'Secure API', origins: ['https://app.example.com', 'https://www.app.example.com'] }, 'the rp id defaults to the first origin\'s host')
  t.equal(config.PASSKEY_EXAMPLE, false, 'the example page is off in production')
  t.equal(loadConfig({ ...PRODUCTION, WEBAUTHN_ORIGINS: 'https://app.example.com', PASSKEY_EXAMPLE: 'true' }).PASSKEY_EXAMPLE, true, 'unless asked for')
})

t.test('K6: every origin must be an exact origin on the RP ID or a subdomain of it', async (t) => {
  t.match(refusal({ WEBAUTHN_RP_ID: 'example.com', WEBAUTHN_ORIGINS: 'https://example.org' }), /"https:\/\/example\.org" is not on the relying party "example\.com"/)
  t.match(refusal({ WEBAUTHN_RP_ID: 'example.com', WEBAUTHN_ORIGINS: 'https://notexample.com' }), /is not on the relying party/, 'a suffix that is not a subdomain')
  t.match(refusal({ WEBAUTHN_ORIGINS: 'https://app.example.com/login' }), /is not an origin/)
  t.match(refusal({ WEBAUTHN_ORIGINS: 'app.example.com' }), /is not an origin/)
  t.match(refusal({ WEBAUTHN_RP_ID: 'https://example.com', WEBAUTHN_ORIGINS: 'https://example.com' }), /WEBAUTHN_RP_ID: .* is not a domain name/)
  t.equal(refusal({ WEBAUTHN_RP_ID: 'example.com', WEBAUTHN_ORIGINS: 'https://example.com, https://login.example.com:8443' }), '')
})
