import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { accessSync, constants, statSync } from 'node:fs'
import { isIP } from 'node:net'
import { availableParallelism } from 'node:os'

/**
 * The whole configuration, as environment variables. One schema: the type is derived from it,
 * the defaults live in it, and loadConfig() refuses anything it does not allow.
 */
export const ConfigSchema = Type.Object({
  NODE_ENV: Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')], { default: 'development' }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  DATABASE_URL: Type.String({ pattern: '^(sqlite:|postgres://|postgresql://)', default: 'sqlite:./data/app.db' }),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  REDIS_KEY_PREFIX: Type.String({ maxLength: 64, default: 'secure-api:' }),
  JWT_ALG: Type.Union([Type.Literal('EdDSA'), Type.Literal('ES256'), Type.Literal('RS256'), Type.Literal('HS256')], { default: 'EdDSA' }),
  JWT_SECRET: Type.Optional(Type.String()),
  JWT_ISSUER: Type.String({ minLength: 1, maxLength: 256, default: 'secure-api' }),
  JWT_AUDIENCE: Type.String({ minLength: 1, maxLength: 256, default: 'secure-api' }),
  ACCESS_TOKEN_TTL: Type.Integer({ minimum: 30, maximum: 86400, default: 900 }),
  REFRESH_TOKEN_TTL: Type.Integer({ minimum: 60, maximum: 31536000, default: 2592000 }),
  // No default here: it follows REFRESH_TOKEN_TTL (see withDerivedDefaults), so setting only that composes.
  REFRESH_TOKEN_IDLE_TTL: Type.Optional(Type.Integer({ minimum: 60, maximum: 31536000 })),
  DEVICE_TOKEN_TTL: Type.Integer({ minimum: 86400, maximum: 31536000, default: 7776000 }),
  KEY_ENCRYPTION_SECRET: Type.Optional(Type.String()),
  KEY_REFRESH_INTERVAL: Type.Integer({ minimum: 1, maximum: 3600, default: 30 }),
  REVOCATION_POLL_INTERVAL: Type.Integer({ minimum: 1, maximum: 300, default: 5 }),
  REGISTRATION: Type.Union([Type.Literal('open'), Type.Literal('closed')], { default: 'open' }),
  TRUST_PROXY: Type.Optional(Type.String()),
  TLS_CERT_FILE: Type.Optional(Type.String({ minLength: 1 })),
  TLS_KEY_FILE: Type.Optional(Type.String({ minLength: 1 })),
  CORS_ORIGINS: Type.Optional(Type.String()),
  PASSWORD_MIN_LENGTH: Type.Integer({ minimum: 8, maximum: 64, default: 15 }),
  ARGON2_MEMORY_KIB: Type.Integer({ minimum: 19456, maximum: 1048576, default: 19456 }),
  ARGON2_TIME_COST: Type.Integer({ minimum: 2, maximum: 10, default: 2 }),
  ARGON2_PARALLELISM: Type.Integer({ minimum: 1, maximum: 8, default: 1 }),
  // No default here: it follows the cores and the libuv pool (see withDerivedDefaults).
  ARGON2_MAX_CONCURRENCY: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 })),
  ARGON2_MAX_QUEUE: Type.Integer({ minimum: 0, maximum: 10000, default: 64 }),
  RATE_LIMIT_MAX: Type.Integer({ minimum: 1, maximum: 1000000, default: 1000 }),
  AUTH_RATE_LIMIT_MAX: Type.Integer({ minimum: 1, maximum: 100000, default: 300 }),
  REGISTER_RATE_LIMIT_MAX: Type.Integer({ minimum: 1, maximum: 100000, default: 500 }),
  // No default here: min(5, LOGIN_LOCK_THRESHOLD), so a low lock threshold set alone composes.
  LOGIN_FREE_FAILURES: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  LOGIN_LOCK_THRESHOLD: Type.Integer({ minimum: 1, maximum: 100, default: 100 }),
  LOGIN_LOCK_SECONDS: Type.Integer({ minimum: 1, maximum: 86400, default: 3600 }),
  LOGIN_IP_MAX_FAILURES: Type.Integer({ minimum: 1, maximum: 1000000, default: 500 }),
  BODY_LIMIT: Type.Integer({ minimum: 1024, maximum: 10485760, default: 65536 }),
  NOTES_PER_USER_MAX: Type.Integer({ minimum: 1, maximum: 1000000, default: 1000 }),
  // RFC 9470 step-up: how recent an authentication sensitive operations need (K5).
  STEP_UP_MAX_AGE: Type.Integer({ minimum: 30, maximum: 86400, default: 300 }),
  // No default here: true in production, false elsewhere (see withDerivedDefaults).
  ADMIN_REQUIRE_MFA: Type.Optional(Type.Boolean()),
  AUDIT_RETENTION_DAYS: Type.Integer({ minimum: 1, maximum: 3650, default: 365 }),
  // Seconds between prune runs (I5); 0 turns the job off on this instance.
  PRUNE_INTERVAL: Type.Integer({ minimum: 0, maximum: 86400, default: 3600 }),
  // Seconds a SIGTERM waits for in-flight requests before the process exits anyway (I4).
  SHUTDOWN_TIMEOUT: Type.Integer({ minimum: 1, maximum: 300, default: 10 }),
  // PostgreSQL bounds (I3): a dead or black-holed database answers 503 within these, never hangs.
  DATABASE_CONNECT_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 60000, default: 2000 }),
  DATABASE_STATEMENT_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 600000, default: 2000 }),
  // WebAuthn relying party (issue 12). No defaults here: development derives them from PORT
  // (rp id localhost, origin http://localhost:PORT), production must set the origins (see withDerivedDefaults).
  WEBAUTHN_RP_ID: Type.Optional(Type.String({ minLength: 1, maxLength: 253 })),
  WEBAUTHN_RP_NAME: Type.String({ minLength: 1, maxLength: 64, default: 'Secure API' }),
  WEBAUTHN_ORIGINS: Type.Optional(Type.String({ maxLength: 2048 })),
  // The passkeys example page at /examples/passkeys/; no default here: on outside production.
  PASSKEY_EXAMPLE: Type.Optional(Type.Boolean()),
  // Account recovery by mail (issue 13, K7, K8). No default: on, except in production without SMTP_URL (see withDerivedDefaults).
  RECOVERY: Type.Optional(Type.Union([Type.Literal('on'), Type.Literal('off')])),
  // May hold the relay's password: never logged, never echoed in an error.
  SMTP_URL: Type.Optional(Type.String({ pattern: '^smtps?://', maxLength: 2048 })),
  // Required in production with recovery on; 'Secure API <no-reply@localhost>' elsewhere (src/mail/settings.ts).
  MAIL_FROM: Type.Optional(Type.String({ minLength: 3, maxLength: 256, pattern: '^[^\\r\\n]+$' })),
  // The base of the links in mail; required (https) in production with recovery on; http://HOST:PORT elsewhere.
  PUBLIC_URL: Type.Optional(Type.String({ pattern: '^https?://[^\\s/?#]+(/[^\\s?#]*)?$', maxLength: 512 })),
  // Development without SMTP_URL: each message is written here as a file (and logged, token redacted).
  MAIL_OUTBOX_DIR: Type.String({ minLength: 1, default: './data/outbox' }),
  // Requests an hour per client address (IPv6: per /64) on the routes that send mail.
  RECOVERY_RATE_LIMIT_MAX: Type.Integer({ minimum: 1, maximum: 100000, default: 20 }),
  METRICS_TOKEN: Type.Optional(Type.String({ minLength: 32 })),
  DOCS_ENABLED: Type.Boolean({ default: true }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
    { default: 'info' }
  )
}, { additionalProperties: false })

type RawConfig = Static<typeof ConfigSchema>

/** The validated configuration: optional variables whose default depends on others are filled in. */
type Derived = 'REFRESH_TOKEN_IDLE_TTL' | 'LOGIN_FREE_FAILURES' | 'ARGON2_MAX_CONCURRENCY' | 'ADMIN_REQUIRE_MFA' | 'WEBAUTHN_RP_ID' | 'WEBAUTHN_ORIGINS' | 'PASSKEY_EXAMPLE' | 'RECOVERY'
export type Config = Omit<RawConfig, Derived> & {
  REFRESH_TOKEN_IDLE_TTL: number
  LOGIN_FREE_FAILURES: number
  ARGON2_MAX_CONCURRENCY: number
  ADMIN_REQUIRE_MFA: boolean
  /** Empty only in production with WEBAUTHN_ORIGINS unset, which crossChecks refuses. */
  WEBAUTHN_RP_ID: string
  /** Comma-separated origins; see webauthnDefaults. */
  WEBAUTHN_ORIGINS: string
  PASSKEY_EXAMPLE: boolean
  RECOVERY: 'on' | 'off'
}

/** The idle limit a session gets when REFRESH_TOKEN_IDLE_TTL is unset: a week, or the whole lifetime when that is shorter. */
export const DEFAULT_REFRESH_TOKEN_IDLE_TTL = 604800
/** Free login failures when LOGIN_FREE_FAILURES is unset, never more than the lock threshold. */
export const DEFAULT_LOGIN_FREE_FAILURES = 5

/**
 * Hashes at once when ARGON2_MAX_CONCURRENCY is unset: one core left to the event loop (an
 * argon2id hash is ~50 ms of pure CPU; with as many hashes as cores, /protected waits behind
 * them, issue 10 F4), and one libuv thread left for fs and dns, which share that pool.
 * availableParallelism() honours the CPU affinity (taskset, cgroup cpusets).
 */
export function defaultArgon2Concurrency (cores = availableParallelism(), threadpoolSize = 4): number {
  return Math.max(1, Math.min(cores - 1, threadpoolSize - 1))
}

/**
 * The relying party when WEBAUTHN_* are unset: outside production, the app on this machine
 * (rp id `localhost`, origin http://localhost:PORT, a secure context for browsers); in
 * production no origin (refused at start) and an rp id taken from the first origin's host.
 */
function webauthnDefaults (raw: RawConfig): { rpId: string, origins: string } {
  const origins = raw.WEBAUTHN_ORIGINS ?? (raw.NODE_ENV === 'production' ? '' : `http://localhost:${raw.PORT}`)
  let firstHost = ''
  try {
    firstHost = new URL(splitList(origins)[0] ?? '').hostname
  } catch {
    // Not a URL: crossChecks names the bad origin.
  }
  return { rpId: raw.WEBAUTHN_RP_ID ?? firstHost, origins }
}

/** Defaults that depend on another variable: a documented variable set alone must never contradict them. */
function withDerivedDefaults (raw: RawConfig, env: Record<string, string | undefined>): Config {
  const webauthn = webauthnDefaults(raw)
  return {
    ...raw,
    WEBAUTHN_RP_ID: webauthn.rpId,
    WEBAUTHN_ORIGINS: webauthn.origins,
    PASSKEY_EXAMPLE: raw.PASSKEY_EXAMPLE ?? raw.NODE_ENV !== 'production',
    REFRESH_TOKEN_IDLE_TTL: raw.REFRESH_TOKEN_IDLE_TTL ?? Math.min(DEFAULT_REFRESH_TOKEN_IDLE_TTL, raw.REFRESH_TOKEN_TTL),
    LOGIN_FREE_FAILURES: raw.LOGIN_FREE_FAILURES ?? Math.min(DEFAULT_LOGIN_FREE_FAILURES, raw.LOGIN_LOCK_THRESHOLD),
    ARGON2_MAX_CONCURRENCY: raw.ARGON2_MAX_CONCURRENCY ?? defaultArgon2Concurrency(availableParallelism(), Number(env.UV_THREADPOOL_SIZE ?? 4) || 4),
    ADMIN_REQUIRE_MFA: raw.ADMIN_REQUIRE_MFA ?? raw.NODE_ENV === 'production',
    // Production without a mail relay has no way to deliver a reset link: recovery stays off
    // unless asked for, and asking for it without SMTP_URL stops the start (crossChecks).
    RECOVERY: raw.RECOVERY ?? (raw.NODE_ENV === 'production' && raw.SMTP_URL === undefined ? 'off' : 'on')
  }
}

export class ConfigError extends Error {
  constructor (readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`)
    this.name = 'ConfigError'
  }
}

const configKeys = Object.keys(ConfigSchema.properties) as Array<keyof RawConfig>

/** Reads only the variables the schema knows, ignoring empty strings (an unset variable). */
function pickKnown (env: Record<string, string | undefined>): Record<string, unknown> {
  const raw: Record<string, unknown> = {}
  for (const key of configKeys) {
    const value = env[key]
    if (value !== undefined && value !== '') raw[key] = value
  }
  return raw
}

/** A comma-separated list, trimmed, without empty entries. */
export function splitList (value: string | undefined): string[] {
  return (value ?? '').split(',').map((item) => item.trim()).filter((item) => item.length > 0)
}

function isAddressOrCidr (entry: string): boolean {
  const [address, prefix, ...rest] = entry.split('/')
  if (rest.length > 0 || address === undefined) return false
  const family = isIP(address)
  if (family === 0) return false
  if (prefix === undefined) return true
  if (!/^\d{1,3}$/.test(prefix)) return false
  return Number(prefix) <= (family === 4 ? 32 : 128)
}

function isReadableFile (path: string): boolean {
  try {
    accessSync(path, constants.R_OK)
    return statSync(path).isFile()
  } catch {
    return false
  }
}

/** Rules that span several variables, or that production tightens. */
function crossChecks (config: Config): string[] {
  const problems: string[] = []
  const production = config.NODE_ENV === 'production'
  if (config.JWT_ALG === 'HS256') {
    if (config.JWT_SECRET === undefined) problems.push('JWT_SECRET: required when JWT_ALG is HS256 (at least 32 bytes of random data)')
    else if (Buffer.byteLength(config.JWT_SECRET) < 32) problems.push('JWT_SECRET: must be at least 32 bytes long')
  } else if (config.JWT_SECRET !== undefined) {
    problems.push(`JWT_SECRET: only used with JWT_ALG=HS256; unset it for ${config.JWT_ALG}`)
  }
  if (config.KEY_ENCRYPTION_SECRET !== undefined && Buffer.byteLength(config.KEY_ENCRYPTION_SECRET) < 32) {
    problems.push('KEY_ENCRYPTION_SECRET: must be at least 32 bytes long')
  }
  if (production && config.KEY_ENCRYPTION_SECRET === undefined) {
    problems.push('KEY_ENCRYPTION_SECRET: required in production, to encrypt the signing keys and TOTP secrets at rest (the development key file is refused)')
  }
  // The pattern only checks the scheme; nodemailer opens the relay at the first message, so a
  // URL it cannot parse is refused here, at start, never echoed (it may hold the relay's password).
  if (config.SMTP_URL !== undefined && !URL.canParse(config.SMTP_URL)) problems.push('SMTP_URL: not a valid URL (smtp://user:password@host:port or smtps://...)')
  if ((config.TLS_CERT_FILE === undefined) !== (config.TLS_KEY_FILE === undefined)) {
    problems.push('TLS_CERT_FILE / TLS_KEY_FILE: set both or neither')
  }
  // Named here, at start, rather than as a bare ENOENT from deep inside buildApp (G4).
  for (const name of ['TLS_CERT_FILE', 'TLS_KEY_FILE'] as const) {
    const file = config[name]
    if (file !== undefined && !isReadableFile(file)) problems.push(`${name}: "${file}" is not a readable file`)
  }
  for (const origin of splitList(config.CORS_ORIGINS)) {
    if (origin === '*' || origin === 'null') problems.push(`CORS_ORIGINS: "${origin}" is not allowed; list exact origins such as https://app.example.com`)
    else if (!/^https?:\/\/[^/\s*]+$/.test(origin)) problems.push(`CORS_ORIGINS: "${origin}" is not an origin (scheme://host[:port], no path)`)
  }
  for (const entry of splitList(config.TRUST_PROXY)) {
    if (!isAddressOrCidr(entry)) {
      problems.push(`TRUST_PROXY: "${entry}" is not an IP address or CIDR; list your proxies' addresses (true or a hop count would let any client spoof its address)`)
    }
  }
  if (config.LOGIN_FREE_FAILURES > config.LOGIN_LOCK_THRESHOLD) {
    problems.push('LOGIN_FREE_FAILURES: must not exceed LOGIN_LOCK_THRESHOLD')
  }
  if (config.REFRESH_TOKEN_IDLE_TTL > config.REFRESH_TOKEN_TTL) {
    problems.push('REFRESH_TOKEN_IDLE_TTL: must not exceed REFRESH_TOKEN_TTL')
  }
  problems.push(...webauthnProblems(config))
  problems.push(...recoveryChecks(config, production))
  if (production) {
    if (config.LOG_LEVEL === 'debug' || config.LOG_LEVEL === 'trace') problems.push('LOG_LEVEL: debug and trace are refused in production')
    if (config.ACCESS_TOKEN_TTL > 3600) problems.push('ACCESS_TOKEN_TTL: at most 3600 seconds in production')
  }
  return problems
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]'])

/**
 * WebAuthn origins (issue 12, K6): exact origins, each on the RP ID or a subdomain of it (a
 * browser refuses anything else), HTTPS in production except on this machine (a browser treats
 * http://localhost as a secure context; nobody else can reach it).
 */
function webauthnProblems (config: Config): string[] {
  const problems: string[] = []
  const origins = splitList(config.WEBAUTHN_ORIGINS)
  if (origins.length === 0) {
    problems.push('WEBAUTHN_ORIGINS: required in production: the HTTPS origins where your front end runs passkey ceremonies, e.g. https://app.example.com')
    return problems
  }
  const rpId = config.WEBAUTHN_RP_ID.toLowerCase()
  if (!/^[a-z0-9.-]+$/.test(rpId)) problems.push(`WEBAUTHN_RP_ID: "${config.WEBAUTHN_RP_ID}" is not a domain name (such as example.com or localhost)`)
  for (const origin of origins) {
    let url: URL
    try {
      url = new URL(origin)
    } catch {
      problems.push(`WEBAUTHN_ORIGINS: "${origin}" is not an origin (scheme://host[:port], no path)`)
      continue
    }
    if (url.origin !== origin) {
      problems.push(`WEBAUTHN_ORIGINS: "${origin}" is not an origin (scheme://host[:port], no path, no trailing slash)`)
      continue
    }
    if (url.hostname !== rpId && !url.hostname.endsWith(`.${rpId}`)) {
      problems.push(`WEBAUTHN_ORIGINS: "${origin}" is not on the relying party "${rpId}" or a subdomain of it (WEBAUTHN_RP_ID)`)
    }
    if (config.NODE_ENV === 'production' && url.protocol !== 'https:' && !LOOPBACK_HOSTS.has(url.hostname)) {
      problems.push(`WEBAUTHN_ORIGINS: "${origin}" must use https in production (only localhost may use http)`)
    }
  }
  return problems
}

/**
 * Recovery in production needs a real relay and real links: without SMTP_URL the reset links
 * would go to a local outbox nobody reads, and a default PUBLIC_URL would point at 127.0.0.1.
 * The SMTP_URL value is never echoed (it may hold the relay's password).
 */
function recoveryChecks (config: Config, production: boolean): string[] {
  if (!production || config.RECOVERY === 'off') return []
  const problems: string[] = []
  if (config.SMTP_URL === undefined) problems.push('SMTP_URL: required in production while RECOVERY is on (mail would only reach the local outbox); set it, or RECOVERY=off to run without account recovery')
  if (config.PUBLIC_URL === undefined) problems.push('PUBLIC_URL: required in production while RECOVERY is on (the base of the links in mail, e.g. https://app.example.com)')
  else if (!config.PUBLIC_URL.startsWith('https://')) problems.push('PUBLIC_URL: must be https:// in production (it carries reset and verification tokens)')
  if (config.MAIL_FROM === undefined) problems.push('MAIL_FROM: required in production while RECOVERY is on (e.g. "Example <no-reply@example.com>")')
  return problems
}

/** Validates the environment; throws a ConfigError naming every bad variable and what is allowed. */
export function loadConfig (env: Record<string, string | undefined> = process.env): Config {
  const raw = pickKnown(env)
  const converted = Value.Default(ConfigSchema, Value.Convert(ConfigSchema, raw))
  const schemaProblems = [...Value.Errors(ConfigSchema, converted)].map((error) => {
    const name = error.path.replace(/^\//, '')
    const allowed = describeAllowed(error.schema)
    return `${name}: ${error.message}${allowed}`
  })
  if (schemaProblems.length > 0) throw new ConfigError(schemaProblems)
  const config = withDerivedDefaults(converted as RawConfig, env)
  const problems = crossChecks(config)
  if (problems.length > 0) throw new ConfigError(problems)
  return config
}

function describeAllowed (schema: unknown): string {
  const anyOf = (schema as { anyOf?: Array<{ const?: unknown }> }).anyOf
  if (Array.isArray(anyOf)) return ` (allowed: ${anyOf.map((member) => String(member.const)).join(', ')})`
  return ''
}
