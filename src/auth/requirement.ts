import { ACR_MFA } from './authentication.js'

/**
 * What a route asks of its caller, declared in `config.auth`: a role, and for sensitive
 * operations an authentication that is recent (RFC 9470 `max_age`) or strong (`acr`).
 * `'user'` and `'admin'` are the short forms of `{ role }`.
 */
export interface AuthRequirement {
  role: 'user' | 'admin'
  /** The operation needs an authentication no older than STEP_UP_MAX_AGE (K5). */
  stepUp?: boolean
  /** The operation needs a second factor in this session's authentication. */
  acr?: typeof ACR_MFA
}

export type AuthSetting = 'user' | 'admin' | AuthRequirement

/** A requirement with the deployment's settings applied: what the guard checks. */
export interface ResolvedRequirement {
  role: 'user' | 'admin'
  maxAgeSeconds: number | undefined
  acr: typeof ACR_MFA | undefined
}

export interface RequirementSettings {
  stepUpMaxAge: number
  adminRequireMfa: boolean
}

export function resolveRequirement (setting: AuthSetting, settings: RequirementSettings): ResolvedRequirement {
  const requirement: AuthRequirement = typeof setting === 'string' ? { role: setting } : setting
  const adminMfa = requirement.role === 'admin' && settings.adminRequireMfa
  return {
    role: requirement.role,
    maxAgeSeconds: requirement.stepUp === true ? settings.stepUpMaxAge : undefined,
    acr: requirement.acr ?? (adminMfa ? ACR_MFA : undefined)
  }
}

/** How the caller authenticated, as the access token states it (K4). */
export interface PresentedAuthentication {
  acr: string | undefined
  authTime: number | undefined
}

/** What is missing, in RFC 9470's terms; null when the authentication is enough. */
export interface AssuranceShortfall {
  maxAge?: number
  acrValues?: string
}

export function assuranceShortfall (presented: PresentedAuthentication, required: ResolvedRequirement, nowSeconds: number): AssuranceShortfall | null {
  if (required.acr !== undefined && presented.acr !== required.acr) return { acrValues: required.acr }
  if (required.maxAgeSeconds !== undefined) {
    // A token with no auth_time (minted before K4) is never recent enough.
    const age = presented.authTime === undefined ? Number.POSITIVE_INFINITY : nowSeconds - presented.authTime
    if (age > required.maxAgeSeconds) return { maxAge: required.maxAgeSeconds }
  }
  return null
}
