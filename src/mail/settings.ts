import type { Config } from '../config.js'

export const DEFAULT_MAIL_FROM = 'Secure API <no-reply@localhost>'

export interface MailSettings {
  from: string
  /** No trailing slash: links are `${publicUrl}/reset-password#token=…`. */
  publicUrl: string
}

/** The mail settings with their development defaults (production requires both, src/config.ts). */
export function mailSettings (config: Config): MailSettings {
  const host = config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST
  return {
    from: config.MAIL_FROM ?? DEFAULT_MAIL_FROM,
    publicUrl: (config.PUBLIC_URL ?? `http://${host}:${config.PORT}`).replace(/\/+$/, '')
  }
}
