import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely'
import pg from 'pg'

export interface PostgresBounds {
  /** Opening a connection, and waiting for a free one in the pool (ms). */
  connectTimeoutMs: number
  /**
   * The longest a query may take (ms), the client's own bound (query_timeout) that also holds
   * when the server cannot answer at all (a black hole). The server's statement_timeout is a
   * little shorter, so a slow query is normally cancelled by the server and its connection kept.
   */
  statementTimeoutMs: number
}

/** The server's share of the bound: its cancel arrives before the client gives up on the connection. */
const SERVER_SHARE = 0.9
/** A transaction left open by a vanished client must not hold locks for long. */
const IDLE_IN_TRANSACTION_FLOOR_MS = 10_000
/** TCP keepalive: a silently dead peer is noticed on idle connections, not at the next query. */
const KEEPALIVE_DELAY_MS = 10_000

/** Failures after which a connection is unusable: it is destroyed on release, never reused. */
const BROKEN_MESSAGES = /(Query read timeout|Connection terminated|Client has encountered a connection error|connection error|not queryable)/i
const BROKEN_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', '57P01', '57P02', '57P05', '08000', '08003', '08006'])

function isConnectionBroken (error: unknown): boolean {
  if (error === null || typeof error !== 'object') return false
  const { code, message } = error as { code?: unknown, message?: unknown }
  return (typeof code === 'string' && BROKEN_CODES.has(code)) || (typeof message === 'string' && BROKEN_MESSAGES.test(message))
}

/** What a query on an already broken connection fails with: SQLSTATE connection_failure, so it answers 503. */
function brokenConnectionError (): Error {
  return Object.assign(new Error('Connection terminated: the connection failed earlier in this request'), { code: '08006' })
}

/**
 * One checked-out client. pg releases a client that timed out on the client side back into the
 * pool as if healthy, and the next query on it waits behind a reply that never comes; Kysely
 * also sends ROLLBACK on it, waiting a second full timeout. Here the first connection-level
 * failure marks it broken: later queries fail at once, and release destroys it.
 */
class GuardedClient implements PostgresPoolClient {
  private broken = false

  constructor (private readonly client: pg.PoolClient) {}

  query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>
  query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>
  query<R> (sqlOrCursor: string | PostgresCursor<R>, parameters?: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
    if (typeof sqlOrCursor !== 'string') throw new Error('cursors are not used by this service')
    if (this.broken) return Promise.reject(brokenConnectionError())
    return this.run<R>(sqlOrCursor, parameters ?? [])
  }

  private async run<R> (sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> {
    try {
      const result = await this.client.query(sql, [...parameters])
      return result as unknown as PostgresQueryResult<R>
    } catch (error) {
      if (isConnectionBroken(error)) this.broken = true
      throw error
    }
  }

  release (destroy?: boolean): void {
    this.client.release(destroy === true || this.broken)
  }
}

/** The pool Kysely sees: pg's pool, with every client guarded and every error listened to. */
export class ResilientPool implements PostgresPool {
  readonly pool: pg.Pool

  constructor (connectionString: string, bounds: PostgresBounds, onClientError: (error: Error) => void) {
    this.pool = new pg.Pool({
      connectionString,
      max: 10,
      connectionTimeoutMillis: bounds.connectTimeoutMs,
      statement_timeout: Math.floor(bounds.statementTimeoutMs * SERVER_SHARE),
      query_timeout: bounds.statementTimeoutMs,
      idle_in_transaction_session_timeout: Math.max(IDLE_IN_TRANSACTION_FLOOR_MS, 2 * bounds.statementTimeoutMs),
      keepAlive: true,
      keepAliveInitialDelayMillis: KEEPALIVE_DELAY_MS,
      idleTimeoutMillis: 30_000
    })
    // Idle clients: pg-pool forwards their errors here, and removes them.
    this.pool.on('error', onClientError)
    // Checked-out clients: pg-pool takes its listener off while a client is lent, so an error
    // there (a reset mid-query) would be an uncaught 'error' event and end the process (I3).
    // This listener stays for the client's whole life; the failed query rejects on its own.
    this.pool.on('connect', (client) => { client.on('error', onClientError) })
  }

  async connect (): Promise<PostgresPoolClient> {
    return new GuardedClient(await this.pool.connect())
  }

  async end (): Promise<void> {
    await this.pool.end()
  }
}
