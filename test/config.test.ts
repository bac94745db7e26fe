import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { refusal, SECRET } from './helpers/config.js'
import { ConfigError, loadConfig } from '../src/config.js'
import { tempDir } from './helpers/app.js'

t.test('G4: defaults match the contract', async (t) => {
  const config = loadConfig({})
  t.equal(config.NODE_ENV, 'development')
  t.equal(config.HOST, '127.0.0.1')
  t.equal(config.PORT, 3000)
  t.equal(config.DATABASE_URL, 'sqlite:./data/app.db')
  t.equal(config.REDIS_URL, undefined)
  t.equal(config.JWT_ALG, 'EdDSA')
  t.equal(config.JWT_SECRET, undefined)
  t.equal(config.ACCESS_TOKEN_TTL, 900)
  t.equal(config.REFRESH_TOKEN_TTL, 2592000)
  t.equal(config.REGISTRATION, 'open')
  t.equal(config.TRUST_PROXY, undefined)
  t.equal(config.CORS_ORIGINS, undefined)
  t.equal(config.PASSWORD_MIN_LENGTH, 15)
  t.equal(config.LOG_LEVEL, 'info')
  t.equal(config.ARGON2_MEMORY_KIB, 19456)
  t.equal(config.ARGON2_TIME_COST, 2)
  t.equal(config.ARGON2_PARALLELISM, 1)
})

t.test('G4: numbers and booleans are converted from strings; empty strings count as unset', async (t) => {
  const config = loadConfig({ PORT: '8080', ACCESS_TOKEN_TTL: '600', DOCS_ENABLED: 'false', REGISTRATION: '', UNRELATED: 'x' })
  t.equal(config.PORT, 8080)
  t.equal(config.ACCESS_TOKEN_TTL, 600)
  t.equal(config.DOCS_ENABLED, false)
  t.equal(config.REGISTRATION, 'open')
})

t.test('G4: a bad enum names the variable and the allowed values', async (t) => {
  const jwt = refusal({ JWT_ALG: 'none' })
  t.match(jwt, /JWT_ALG/)
  t.match(jwt, /EdDSA, ES256, RS256, HS256/)
  const registration = refusal({ REGISTRATION: 'maybe' })
  t.match(registration, /REGISTRATION/)
  t.match(registration, /open, closed/)
  t.match(refusal({ NODE_ENV: 'prod' }), /NODE_ENV.*development, production, test/s)
  t.match(refusal({ LOG_LEVEL: 'verbose' }), /LOG_LEVEL.*fatal, error, warn, info, debug, trace, silent/s)
})

t.test('G4: PORT and other numbers out of range or not numbers are refused', async (t) => {
  t.match(refusal({ PORT: '65536' }), /PORT/)
  t.match(refusal({ PORT: '-1' }), /PORT/)
  t.match(refusal({ PORT: 'http' }), /PORT/)
  t.match(refusal({ PASSWORD_MIN_LENGTH: '7' }), /PASSWORD_MIN_LENGTH/, 'never below 8')
  t.match(refusal({ PASSWORD_MIN_LENGTH: '65' }), /PASSWORD_MIN_LENGTH/)
  t.match(refusal({ ARGON2_MEMORY_KIB: '4096' }), /ARGON2_MEMORY_KIB/, 'D5: no weaker argon2 than OWASP minimum')
  t.match(refusal({ ARGON2_TIME_COST: '1' }), /ARGON2_TIME_COST/)
  t.equal(loadConfig({ PORT: '0' }).PORT, 0)
  t.equal(loadConfig({ PORT: '65535' }).PORT, 65535)
})

t.test('G4: unknown DATABASE_URL schemes are refused', async (t) => {
  t.match(refusal({ DATABASE_URL: 'mysql://x' }), /DATABASE_URL/)
  t.equal(loadConfig({ DATABASE_URL: 'postgres://u@h/db' }).DATABASE_URL, 'postgres://u@h/db')
})

t.test('G4: HS256 needs a JWT_SECRET of at least 32 bytes; other algorithms refuse one', async (t) => {
  t.match(refusal({ JWT_ALG: 'HS256' }), /JWT_SECRET: required when JWT_ALG is HS256/)
  t.match(refusal({ JWT_ALG: 'HS256', JWT_SECRET: 'k'.repeat(31) }), /JWT_SECRET: must be at least 32 bytes/)
  // 11 three-byte characters: 11 code points but 33 bytes, so the rule counts bytes.
  t.equal(refusal({ JWT_ALG: 'HS256', JWT_SECRET: '€'.repeat(11) }), '')
  t.equal(loadConfig({ JWT_ALG: 'HS256', JWT_SECRET: SECRET }).JWT_SECRET, SECRET)
  t.match(refusal({ JWT_SECRET: SECRET }), /JWT_SECRET: only used with JWT_ALG=HS256; unset it for EdDSA/)
  t.match(refusal({ JWT_ALG: 'ES256', JWT_SECRET: SECRET }), /unset it for ES256/)
})

t.test('G4: KEY_ENCRYPTION_SECRET is required in production and must be long', async (t) => {
  t.match(refusal({ NODE_ENV: 'production' }), /KEY_ENCRYPTION_SECRET: required in production/)
  t.match(refusal({ KEY_ENCRYPTION_SECRET: 'short' }), /KEY_ENCRYPTION_SECRET: must be at least 32 bytes/)
  t.equal(refusal({ NODE_ENV: 'production', KEY_ENCRYPTION_SECRET: SECRET, WEBAUTHN_ORIGINS: 'https://app.example' }), '')
})

t.test('G3: CORS_ORIGINS refuses a wildcard, null and anything but exact origins', async (t) => {
  t.match(refusal({ CORS_ORIGINS: '*' }), /CORS_ORIGINS: "\*" is not allowed/)
  t.match(refusal({ CORS_ORIGINS: 'https://a.example, *' }), /CORS_ORIGINS: "\*" is not allowed/)
  t.match(refusal({ CORS_ORIGINS: 'null' }), /CORS_ORIGINS: "null" is not allowed/)
  t.match(refusal({ CORS_ORIGINS: 'https://*.example' }), /is not an origin/)
  t.match(refusal({ CORS_ORIGINS: 'https://app.example/path' }), /is not an origin/)
  t.match(refusal({ CORS_ORIGINS: 'app.example' }), /is not an origin/)
  t.equal(loadConfig({ CORS_ORIGINS: 'https://app.example, http://localhost:5173' }).CORS_ORIGINS, 'https://app.example, http://localhost:5173')
})

t.test('D7: TRUST_PROXY takes only addresses or CIDRs, never true or a hop count', async (t) => {
  t.match(refusal({ TRUST_PROXY: 'true' }), /TRUST_PROXY: "true" is not an IP address or CIDR/)
  t.match(refusal({ TRUST_PROXY: '2' }), /TRUST_PROXY: "2" is not an IP address or CIDR/)
  t.match(refusal({ TRUST_PROXY: 'loopback' }), /TRUST_PROXY/)
  t.match(refusal({ TRUST_PROXY: '10.0.0.0/33' }), /TRUST_PROXY/)
  t.match(refusal({ TRUST_PROXY: '10.0.0.0/8/1' }), /TRUST_PROXY/)
  t.match(refusal({ TRUST_PROXY: '::1/129' }), /TRUST_PROXY/)
  t.equal(refusal({ TRUST_PROXY: '10.0.0.1, 192.168.0.0/16, ::1, fd00::/8' }), '')
})

t.test('G4: production refuses debug output and long-lived access tokens', async (t) => {
  const production = { NODE_ENV: 'production', KEY_ENCRYPTION_SECRET: SECRET, WEBAUTHN_ORIGINS: 'https://app.example' }
  t.match(refusal({ ...production, LOG_LEVEL: 'debug' }), /LOG_LEVEL: debug and trace are refused in production/)
  t.match(refusal({ ...production, LOG_LEVEL: 'trace' }), /LOG_LEVEL/)
  t.equal(refusal({ LOG_LEVEL: 'debug' }), '', 'development may debug')
  t.match(refusal({ ...production, ACCESS_TOKEN_TTL: '7200' }), /ACCESS_TOKEN_TTL/)
})

t.test('G2/G4: a TLS certificate without its key (or the reverse), or a missing file, is refused', async (t) => {
  const dir = tempDir(t)
  const cert = join(dir, 'cert.pem')
  const key = join(dir, 'key.pem')
  writeFileSync(cert, 'certificate')
  writeFileSync(key, 'key', { mode: 0o600 })
  t.match(refusal({ TLS_CERT_FILE: cert }), /TLS_CERT_FILE \/ TLS_KEY_FILE: set both or neither/)
  t.match(refusal({ TLS_KEY_FILE: key }), /set both or neither/)
  t.equal(refusal({ TLS_CERT_FILE: cert, TLS_KEY_FILE: key }), '')
  t.match(refusal({ TLS_CERT_FILE: cert, TLS_KEY_FILE: join(dir, 'missing.pem') }), /TLS_KEY_FILE: ".*missing\.pem" is not a readable file/)
  t.match(refusal({ TLS_CERT_FILE: dir, TLS_KEY_FILE: key }), /TLS_CERT_FILE: .* is not a readable file/, 'a directory is not a certificate')
})

t.test('C5: the idle refresh limit cannot exceed the absolute one', async (t) => {
  t.match(refusal({ REFRESH_TOKEN_TTL: '3600', REFRESH_TOKEN_IDLE_TTL: '7200' }), /REFRESH_TOKEN_IDLE_TTL/)
})

t.test('G4: every problem is reported at once, in a ConfigError', async (t) => {
  const message = refusal({ NODE_ENV: 'production', LOG_LEVEL: 'debug', CORS_ORIGINS: '*', TRUST_PROXY: 'true' })
  t.match(message, /^Invalid configuration:/)
  t.match(message, /KEY_ENCRYPTION_SECRET/)
  t.match(message, /LOG_LEVEL/)
  t.match(message, /CORS_ORIGINS/)
  t.match(message, /TRUST_PROXY/)
  t.throws(() => loadConfig({ PORT: 'x' }), ConfigError)
})

t.test('K1: production needs KEY_ENCRYPTION_SECRET under HS256 too, because it seals TOTP secrets', async (t) => {
  t.match(refusal({ NODE_ENV: 'production', JWT_ALG: 'HS256', JWT_SECRET: 'k'.repeat(32) }), /KEY_ENCRYPTION_SECRET: required in production/)
  t.equal(refusal({ NODE_ENV: 'production', JWT_ALG: 'HS256', JWT_SECRET: 'k'.repeat(32), KEY_ENCRYPTION_SECRET: SECRET, WEBAUTHN_ORIGINS: 'https://app.example' }), '')
})

t.test('K5: ADMIN_REQUIRE_MFA is on in production unless turned off, off elsewhere; STEP_UP_MAX_AGE is at least 30 s', async (t) => {
  t.equal(loadConfig({ NODE_ENV: 'production', KEY_ENCRYPTION_SECRET: SECRET, WEBAUTHN_ORIGINS: 'https://app.example' }).ADMIN_REQUIRE_MFA, true)
  t.equal(loadConfig({ NODE_ENV: 'production', KEY_ENCRYPTION_SECRET: SECRET, WEBAUTHN_ORIGINS: 'https://app.example', ADMIN_REQUIRE_MFA: 'false' }).ADMIN_REQUIRE_MFA, false)
  t.equal(loadConfig({}).ADMIN_REQUIRE_MFA, false)
  t.equal(loadConfig({ ADMIN_REQUIRE_MFA: 'true' }).ADMIN_REQUIRE_MFA, true)
  t.equal(loadConfig({}).STEP_UP_MAX_AGE, 300)
  t.match(refusal({ STEP_UP_MAX_AGE: '29' }), /STEP_UP_MAX_AGE/)
})
