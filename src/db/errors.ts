/** Unique-constraint violations in either dialect (SQLite's code, PostgreSQL's SQLSTATE 23505). */
export function isUniqueViolation (error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505'
}

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE',
  // PostgreSQL: admin shutdown, crash shutdown, cannot connect now, too many connections, query canceled (statement_timeout)
  '57P01', '57P02', '57P03', '53300', '57014', '08000', '08003', '08006', '08001', '08004',
  // database dropped or renamed (new connections / live ones), idle-session timeout, our login refused, out of resources
  '3D000', '57P04', '57P05', '28000', '28P01', '53000',
  'SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_CANTOPEN', 'SQLITE_IOERR', 'SQLITE_FULL', 'SQLITE_READONLY'
])

/**
 * Driver messages that carry no code: pg's client-side timeouts and dead connections, a pool
 * closed during shutdown, a connection Kysely discarded after a failed ROLLBACK.
 */
const UNAVAILABLE_MESSAGES = /(timeout exceeded when trying to connect|Connection terminated|connect ECONNREFUSED|Query read timeout|driver has already been destroyed|Connection is closed|The database connection is not open|is not queryable|Cannot use a pool after calling end|connection has been discarded)/i

/** True when a failure is the database (or another dependency) being unreachable: answer 503. */
export function isDependencyUnavailable (error: unknown): boolean {
  if (error === null || typeof error !== 'object') return false
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true
  const message = (error as { message?: unknown }).message
  return typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message)
}
