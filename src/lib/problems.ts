/**
 * Errors that become RFC 9457 problem documents. Handlers throw these; the one error handler
 * (plugins/problem-details.ts) turns every error, these and all others, into a problem body.
 */
export interface ProblemFieldError {
  pointer: string
  message: string
  location?: 'body' | 'query' | 'path' | 'header'
}

export interface ProblemOptions {
  status: number
  slug: string
  title: string
  detail: string
  errors?: ProblemFieldError[]
  headers?: Record<string, string>
}

export const PROBLEM_TYPE_PREFIX = 'urn:secure-api:problem:'

export class HttpProblem extends Error {
  readonly status: number
  readonly slug: string
  readonly title: string
  readonly detail: string
  readonly errors: ProblemFieldError[] | undefined
  readonly headers: Record<string, string>

  constructor (options: ProblemOptions) {
    super(options.detail)
    this.name = 'HttpProblem'
    this.status = options.status
    this.slug = options.slug
    this.title = options.title
    this.detail = options.detail
    this.errors = options.errors
    this.headers = options.headers ?? {}
  }

  /** Fastify and its plugins read statusCode; keep both names true. */
  get statusCode (): number {
    return this.status
  }
}

export const REALM = 'secure-api'

/** RFC 6750 §3: no `error` when the request carried no credentials. */
export function missingCredentials (): HttpProblem {
  return new HttpProblem({
    status: 401,
    slug: 'unauthorized',
    title: 'Unauthorized',
    detail: 'This operation needs a bearer access token in the Authorization header.',
    headers: { 'www-authenticate': `Bearer realm="${REALM}"` }
  })
}

/** One answer for every rejected token, whatever was wrong with it (requirement A, B2). */
export function invalidToken (): HttpProblem {
  return new HttpProblem({
    status: 401,
    slug: 'invalid-token',
    title: 'Invalid token',
    detail: 'The access token is invalid, expired or revoked.',
    headers: { 'www-authenticate': `Bearer realm="${REALM}", error="invalid_token", error_description="The access token is invalid, expired or revoked"` }
  })
}

/**
 * RFC 9470 §3: the token is fine, but the authentication behind it is too old or too weak.
 * The client authenticates again (POST /auth/reauthenticate) and retries.
 */
export function insufficientUserAuthentication (shortfall: { maxAge?: number, acrValues?: string }): HttpProblem {
  const description = shortfall.acrValues !== undefined
    ? 'A stronger authentication is required'
    : 'A more recent authentication is required'
  const parameter = shortfall.acrValues !== undefined ? `acr_values="${shortfall.acrValues}"` : `max_age=${shortfall.maxAge ?? 0}`
  return new HttpProblem({
    status: 401,
    slug: 'insufficient-user-authentication',
    title: 'Insufficient user authentication',
    detail: shortfall.acrValues !== undefined
      ? 'This operation needs a session signed in with a second factor; authenticate again with one (POST /auth/reauthenticate).'
      : `This operation needs an authentication from the last ${shortfall.maxAge ?? 0} seconds; authenticate again (POST /auth/reauthenticate).`,
    headers: { 'www-authenticate': `Bearer realm="${REALM}", error="insufficient_user_authentication", error_description="${description}", ${parameter}` }
  })
}

export function insufficientScope (role: string): HttpProblem {
  return new HttpProblem({
    status: 403,
    slug: 'insufficient-scope',
    title: 'Forbidden',
    detail: `This operation needs the ${role} role.`,
    headers: { 'www-authenticate': `Bearer realm="${REALM}", error="insufficient_scope", error_description="The ${role} role is required"` }
  })
}

/**
 * One answer for every refresh that fails (unknown, expired, revoked, replayed, disabled user),
 * so the response never tells an attacker which it was. A refresh token was presented, so
 * RFC 6750's error="invalid_token" applies.
 */
export function invalidRefreshToken (): HttpProblem {
  return new HttpProblem({
    status: 401,
    slug: 'invalid-refresh-token',
    title: 'Invalid refresh token',
    detail: 'The refresh token is invalid, expired or revoked; log in again.',
    headers: { 'www-authenticate': `Bearer realm="${REALM}", error="invalid_token", error_description="The refresh token is invalid, expired or revoked"` }
  })
}

/** The same body for an unknown user, a wrong password and a disabled account (D1). */
export function invalidCredentials (): HttpProblem {
  return new HttpProblem({ status: 401, slug: 'invalid-credentials', title: 'Invalid credentials', detail: 'The username or password is incorrect.', headers: { 'www-authenticate': `Bearer realm="${REALM}"` } })
}

/** One answer for a bad code and a bad, used or expired mfa_token: nothing tells which (K3). */
export function invalidSecondFactor (): HttpProblem {
  return new HttpProblem({
    status: 401,
    slug: 'invalid-second-factor',
    title: 'Invalid second factor',
    detail: 'The code or the mfa_token is invalid, used or expired; log in again if the mfa_token has expired.',
    headers: { 'www-authenticate': `Bearer realm="${REALM}"` }
  })
}

/**
 * A wrong proof at POST /auth/reauthenticate. No `error` parameter in WWW-Authenticate: the
 * access token itself is fine, so a client must not take this for an expired token and refresh.
 */
export function wrongReauthenticationProof (): HttpProblem {
  return new HttpProblem({
    status: 401,
    slug: 'invalid-credentials',
    title: 'Invalid credentials',
    detail: 'The password or code is incorrect.',
    headers: { 'www-authenticate': `Bearer realm="${REALM}"` }
  })
}

/** An account with a second factor re-proves with it, not with its password (K5). */
export function secondFactorRequired (): HttpProblem {
  return new HttpProblem({
    status: 400,
    slug: 'second-factor-required',
    title: 'Bad Request',
    detail: 'This account has a second factor: authenticate again with a code (or a recovery code), not the password.',
    errors: [{ pointer: '/password', message: 'a second factor is required instead', location: 'body' }]
  })
}

export function tooManyFactors (): HttpProblem {
  return conflict('too-many-factors', 'This account already has 5 authenticator apps; remove one first.')
}

export function noSecondFactor (): HttpProblem {
  return conflict('no-second-factor', 'Recovery codes stand in for a second factor; confirm one first (POST /auth/mfa/totp).')
}

export function validationFailed (errors: ProblemFieldError[], detail = 'The request is not valid; see errors.'): HttpProblem {
  return new HttpProblem({ status: 400, slug: 'validation-error', title: 'Bad Request', detail, errors })
}

export function notFound (detail = 'No resource exists at this address.'): HttpProblem {
  return new HttpProblem({ status: 404, slug: 'not-found', title: 'Not Found', detail })
}

export function conflict (slug: string, detail: string): HttpProblem {
  return new HttpProblem({ status: 409, slug, title: 'Conflict', detail })
}

export function forbidden (slug: string, detail: string): HttpProblem {
  return new HttpProblem({ status: 403, slug, title: 'Forbidden', detail })
}

export function serviceUnavailable (detail = 'A service this API depends on is unavailable; try again shortly.'): HttpProblem {
  return new HttpProblem({ status: 503, slug: 'service-unavailable', title: 'Service Unavailable', detail, headers: { 'retry-after': '5' } })
}

export function tooManyRequests (retryAfterSeconds: number): HttpProblem {
  return new HttpProblem({
    status: 429,
    slug: 'rate-limited',
    title: 'Too Many Requests',
    detail: `Too many requests; retry after ${retryAfterSeconds} seconds.`,
    headers: { 'retry-after': String(retryAfterSeconds) }
  })
}

/**
 * One answer for every refused passkey login (replayed or expired challenge, wrong origin or RP
 * ID, no user verification, unknown or foreign credential, counter regression, disabled
 * account): which it was stays in the audit trail (K6, D1).
 */
export function passkeyRefused (): HttpProblem {
  return new HttpProblem({
    status: 401,
    slug: 'passkey-refused',
    title: 'Passkey refused',
    detail: 'The passkey could not be verified; request new options and try again.',
    headers: { 'www-authenticate': `Bearer realm="${REALM}"` }
  })
}

/**
 * K7: one answer for every reset token that cannot be used (unknown, used, expired, of
 * another purpose, a disabled account's), so it tells nothing. 400, not 401: the token is a
 * field of the body, not a credential of the Authorization header (RFC 6750 does not apply).
 */
export function invalidResetToken (): HttpProblem {
  return new HttpProblem({ status: 400, slug: 'invalid-reset-token', title: 'Bad Request', detail: 'The reset token is invalid, expired or already used; ask for a new one.' })
}

/** The same for address confirmations (K8). */
export function invalidVerificationToken (): HttpProblem {
  return new HttpProblem({ status: 400, slug: 'invalid-verification-token', title: 'Bad Request', detail: 'The confirmation token is invalid, expired or already used; ask for a new one.' })
}

export function emailTaken (): HttpProblem {
  return conflict('email-taken', 'Another account has verified this address meanwhile; it cannot be used for this one.')
}

/** RECOVERY=off: no mail-driven recovery on this server (an administrator can still issue a reset). */
export function recoveryDisabled (): HttpProblem {
  return forbidden('recovery-disabled', 'Account recovery by email is turned off on this server; ask an administrator.')
}
