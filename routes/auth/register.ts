import type { AuditRow } from '../../src/audit/audit-event.js'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { createUser, UsernameTakenError } from '../../src/repositories/users.js'
import { conflict, forbidden, validationFailed } from '../../src/lib/problems.js'
import { toUser } from '../../src/lib/users.js'
import { problems } from '../../src/schemas/problem.js'
import { CredentialsSchema, UserSchema } from '../../src/schemas/users.js'
import { checkPassword } from '../../src/security/password-policy.js'

const registerRoute: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('/register', {
    // Stricter than the other /auth routes: accounts are cheap to make and to abuse (D6).
    config: { rateLimit: { max: fastify.config.REGISTER_RATE_LIMIT_MAX, timeWindow: '1 hour' } },
    schema: {
      operationId: 'register',
      tags: ['auth'],
      summary: 'Create an account',
      description: 'Creates a user with the role `user`. The password must be at least PASSWORD_MIN_LENGTH (default 15) and at most 128 characters, any Unicode, not a common or breached password and not containing the username (NIST SP 800-63B-4). Answers 403 when registration is closed. Limited per client address (IPv6: per /64) to REGISTER_RATE_LIMIT_MAX (default 500) requests an hour; past it, 429 with Retry-After.',
      body: Type.Ref(CredentialsSchema),
      response: {
        201: Type.Ref(UserSchema, { description: 'The new account' }),
        ...problems(400, 403, 409, 413, 415, 429, 503)
      }
    }
  }, async (request, reply) => {
    if (fastify.config.REGISTRATION === 'closed') throw forbidden('registration-closed', 'Registration is closed on this server; ask an administrator for an account.')
    const { username, password } = request.body
    const violations = checkPassword(password, username, fastify.config.PASSWORD_MIN_LENGTH)
    if (violations.length > 0) throw validationFailed(violations, 'The password does not meet the password policy.')
    const passwordHash = await fastify.passwords.hash(password)
    try {
      let audit: AuditRow | undefined
      const user = await createUser(fastify.db, { username, passwordHash, roles: ['user'] }, (id) => {
        audit = request.auditRow('register', 'success', { user_id: id, username })
        return audit
      })
      if (audit !== undefined) request.logAudit(audit)
      return await reply.code(201).send(toUser(user))
    } catch (error) {
      if (error instanceof UsernameTakenError) {
        await request.audit('register', 'failure', { username, reason: 'username taken' })
        throw conflict('username-taken', 'This username is taken.')
      }
      throw error
    }
  })
}

export default registerRoute
