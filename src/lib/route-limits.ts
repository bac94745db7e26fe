import type { Config } from '../config.js'

/** The stricter per-client limit on the /auth/* routes (F1), per minute. */
export function authRateLimit (config: Config): { max: number, timeWindow: string } {
  return { max: config.AUTH_RATE_LIMIT_MAX, timeWindow: '1 minute' }
}
