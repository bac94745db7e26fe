import { randomUUID } from 'node:crypto'
import { parseArgs } from 'node:util'
import { auditRow } from '../audit/audit-event.js'
import { createUser, UsernameTakenError, type Role } from '../repositories/users.js'
import { checkPassword } from '../security/password-policy.js'
import { PasswordHasher } from '../security/passwords.js'
import { readPassword } from './read-password.js'
import { runCommand, UsageError } from './shared.js'

const USERNAME = /^[A-Za-z0-9._-]{3,64}$/
const USAGE = 'usage: npm run user:create -- --username NAME [--role admin]  (password on standard input)'

/** `npm run user:create -- --username NAME [--role admin]`: how the first admin is made (D8). */
await runCommand(async (config, database) => {
  let values
  try {
    ({ values } = parseArgs({ options: { username: { type: 'string' }, role: { type: 'string' } }, strict: true }))
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message : 'bad arguments'}\n${USAGE}`)
  }
  const username = values.username
  if (username === undefined || !USERNAME.test(username)) throw new UsageError(`--username must be 3..64 letters, digits, ".", "_" or "-"\n${USAGE}`)
  if (values.role !== undefined && values.role !== 'admin') throw new UsageError(`--role accepts only "admin"\n${USAGE}`)
  const roles: Role[] = values.role === 'admin' ? ['user', 'admin'] : ['user']

  const password = await readPassword()
  const violations = checkPassword(password, username, config.PASSWORD_MIN_LENGTH)
  if (violations.length > 0) throw new UsageError(`password ${violations.map((violation) => violation.message).join('; ')}`)

  const hasher = new PasswordHasher({
    memoryKiB: config.ARGON2_MEMORY_KIB,
    timeCost: config.ARGON2_TIME_COST,
    parallelism: config.ARGON2_PARALLELISM,
    maxConcurrency: 1,
    maxQueue: 1
  })
  try {
    // Recorded like any account change, with the command line as its origin (J1).
    const origin = { ip: null, userAgent: 'cli:user:create', requestId: randomUUID(), clientRequestId: null }
    const user = await createUser(database.db, { username, passwordHash: await hasher.hash(password), roles }, (id) =>
      auditRow('user_create', 'success', { user_id: null, target_user_id: id, username, roles }, origin))
    process.stdout.write(`created user ${user.username} (${user.id}) with roles ${roles.join(', ')}\n`)
  } catch (error) {
    if (error instanceof UsernameTakenError) throw new UsageError(`the username ${username} is taken`)
    throw error
  }
})
