import type { Config } from '../config.js'

/** The stricter per-client limit on the /auth/* routes (F1), per minute. */
export function authRateLimit (config: Config): { max: number, timeWindow: string } {
  return { max: config.AUTH_RATE_LIMIT_MAX, timeWindow: '1 minute' }
}

/** The routes that send mail, per client address and hour (issue 13): the only 429 they give. */
export function recoveryRateLimit (config: Config): { max: number, timeWindow: string } {
  return { max: config.RECOVERY_RATE_LIMIT_MAX, timeWindow: '1 hour' }
}
