import { ConfigError, loadConfig } from '../../src/config.js'

/** A secret long enough for KEY_ENCRYPTION_SECRET and JWT_SECRET. */
export const SECRET = 'k'.repeat(32)

/** The smallest environment production accepts (recovery off, as it is without SMTP_URL). */
export const PRODUCTION = { NODE_ENV: 'production', KEY_ENCRYPTION_SECRET: SECRET, WEBAUTHN_ORIGINS: 'https://app.example.test' }

/** The message loadConfig throws for an environment, or '' when it accepts it. */
export function refusal (env: Record<string, string | undefined>): string {
  try {
    loadConfig(env)
    return ''
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    return error.message
  }
}
