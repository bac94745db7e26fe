import { toProblem } from '../../plugins/problem-details.js'
import type { HttpProblem } from '../lib/problems.js'
import {
  conflict, emailTaken, forbidden, insufficientScope, insufficientUserAuthentication, invalidCredentials, invalidSecondFactor, noSecondFactor, secondFactorRequired, tooManyFactors,
  wrongReauthenticationProof, invalidRefreshToken, invalidResetToken, invalidToken, invalidVerificationToken, missingCredentials,
  notFound, passkeyRefused, PROBLEM_TYPE_PREFIX, recoveryDisabled, serviceUnavailable, tooManyRequests, validationFailed
} from '../lib/problems.js'

/**
 * Examples for every documented problem response, of that response's status and kind, so
 * Swagger UI never shows a 400 validation error under a 401 (issue 14). Each example is made
 * by the same factory the server throws, so an example cannot say what the server does not.
 */
export interface ExampleContext {
  operationId: string
  /** The URL path of the example request (path parameters filled in). */
  instance: string
  bearer: boolean
  admin: boolean
  /** Where a validation error of this operation points: a body property or a query parameter. */
  invalid?: { pointer: string, location: 'body' | 'query' }
  hasBody: boolean
  /** The operation's RFC 9470 step-up requirement, when it has one. */
  stepUp?: { max_age?: number, acr_values?: string }
}

export interface ProblemExample {
  summary: string
  problem: HttpProblem
}

export const EXAMPLE_REQUEST_ID = '6f1c0f0e-2f4b-4a7e-9d1a-3b5c7d9e1f20'

/** RFC 9470 operations: the two usual 401s, and the step-up one. */
const RECOVERY_OFF: ProblemExample = { summary: 'Recovery by email is off on this server (RECOVERY=off)', problem: recoveryDisabled() }
const BODY_INVALID = (pointer: string): ProblemExample => ({ summary: 'A value does not match the schema', problem: validationFailed([{ pointer, message: 'is required', location: 'body' }]) })

/** Public operations whose 401 or 403 or 409 means one particular thing. */
const SPECIFIC: Record<string, Partial<Record<number, ProblemExample[]>>> = {
  login: { 401: [{ summary: 'Unknown user or wrong password (one answer for both)', problem: invalidCredentials() }] },
  refreshTokens: { 401: [{ summary: 'Refresh token unknown, expired, revoked or already used', problem: invalidRefreshToken() }] },
  register: {
    403: [{ summary: 'Registration is closed', problem: forbidden('registration-closed', 'Registration is closed on this server; ask an administrator for an account.') }],
    409: [{ summary: 'The username is taken', problem: conflict('username-taken', 'This username is taken.') }]
  },
  verifyMfa: { 401: [{ summary: 'A wrong, used or foreign code, or a bad, used or expired mfa_token (one answer for all)', problem: invalidSecondFactor() }] },
  enrolTotp: { 409: [{ summary: 'Already 5 authenticator apps', problem: tooManyFactors() }] },
  regenerateRecoveryCodes: { 409: [{ summary: 'No confirmed second factor', problem: noSecondFactor() }] },
  adminUpdateUser: {
    409: [{ summary: 'An administrator cannot demote or disable themself', problem: conflict('cannot-demote-self', 'You cannot remove your own admin role or disable your own account; ask another administrator.') }]
  },
  // Passkeys (issue 12).
  registerPasskey: {
    400: [{ summary: 'The registration could not be verified (challenge, origin, RP ID, user verification, algorithm)', problem: validationFailed([{ pointer: '/response', message: 'could not be verified', location: 'body' }], 'The passkey registration could not be verified; request new options and try again.') }],
    403: [{ summary: 'The account has as many passkeys as allowed', problem: forbidden('quota-exceeded', 'You have reached the limit of 20 passkeys; delete one to add another.') }],
    409: [{ summary: 'This credential is already registered', problem: conflict('passkey-exists', 'This passkey is already registered.') }]
  },
  passkeyLogin: { 401: [{ summary: 'The assertion was refused (one answer for every reason)', problem: passkeyRefused() }] },
  // Email and recovery (issue 13).
  requestEmailChange: { 403: [RECOVERY_OFF] },
  verifyEmail: {
    400: [{ summary: 'The token is unknown, used, expired or not a confirmation token', problem: invalidVerificationToken() }, BODY_INVALID('/token')],
    403: [RECOVERY_OFF],
    409: [{ summary: 'Another account verified this address meanwhile', problem: emailTaken() }]
  },
  requestPasswordReset: { 403: [RECOVERY_OFF] },
  resetPassword: {
    400: [
      { summary: 'The token is unknown, used, expired or not a reset token (one answer for all)', problem: invalidResetToken() },
      { summary: 'The new password does not meet the policy', problem: validationFailed([{ pointer: '/new_password', message: 'must be at least 15 characters long', location: 'body' }], 'The new password does not meet the password policy.') }
    ]
  }
}

/** RFC 9470 refusals of a step-up operation, as the guard words them. */
function stepUpExamples (context: ExampleContext): ProblemExample[] {
  const examples: ProblemExample[] = []
  if (context.stepUp?.max_age !== undefined) {
    examples.push({ summary: 'The authentication is too old: POST /auth/reauthenticate, then retry', problem: insufficientUserAuthentication({ maxAge: context.stepUp.max_age }) })
  }
  if (context.stepUp?.acr_values !== undefined) {
    examples.push({ summary: 'A second factor is needed: POST /auth/reauthenticate with a code, then retry', problem: insufficientUserAuthentication({ acrValues: context.stepUp.acr_values }) })
  }
  return examples
}

/** Bearer operations whose 400 or 401 can also mean something of their own, beside the generic kinds. */
const ADDITIONAL: Record<string, Partial<Record<number, ProblemExample[]>>> = {
  reauthenticate: {
    400: [{ summary: 'The account has a second factor: send a code, not the password', problem: secondFactorRequired() }],
    401: [{ summary: 'The password or code is wrong (the access token is fine)', problem: wrongReauthenticationProof() }]
  }
}

function generic (status: number, context: ExampleContext): ProblemExample[] {
  switch (status) {
    case 400: {
      const examples: ProblemExample[] = []
      if (context.invalid !== undefined) {
        examples.push({ summary: 'A value does not match the schema', problem: validationFailed([{ pointer: context.invalid.pointer, message: 'is required', location: context.invalid.location }]) })
      }
      if (context.hasBody || examples.length === 0) examples.push({ summary: 'The body is not valid JSON', problem: toProblem({ statusCode: 400 }) })
      return examples
    }
    case 401:
      return [
        { summary: 'The access token is invalid, expired or revoked (refresh, then retry)', problem: invalidToken() },
        { summary: 'No access token was sent', problem: missingCredentials() },
        ...stepUpExamples(context)
      ]
    case 403:
      return [{ summary: 'The caller lacks the admin role', problem: insufficientScope('admin') }]
    case 404: return [{ summary: 'Nothing here, or not yours', problem: notFound() }]
    case 429: return [{ summary: 'Throttled', problem: tooManyRequests(60) }]
    case 503: return [{ summary: 'A dependency is down, the server is busy or shutting down', problem: serviceUnavailable() }]
    // 413, 415 and any other framework refusal: the error handler's own problem for that status.
    default: {
      const problem = toProblem({ statusCode: status })
      return [{ summary: problem.detail, problem }]
    }
  }
}

export function problemExamples (status: number, context: ExampleContext): ProblemExample[] {
  return SPECIFIC[context.operationId]?.[status] ?? [...generic(status, context), ...(ADDITIONAL[context.operationId]?.[status] ?? [])]
}

/** The body the server would send for `problem` on this operation (what sendProblem writes). */
export function problemBody (problem: HttpProblem, context: ExampleContext): Record<string, unknown> {
  return {
    type: `${PROBLEM_TYPE_PREFIX}${problem.slug}`,
    title: problem.title,
    status: problem.status,
    detail: problem.detail,
    instance: context.instance,
    request_id: EXAMPLE_REQUEST_ID,
    ...(problem.errors === undefined ? {} : { errors: problem.errors })
  }
}
