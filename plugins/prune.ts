import { randomInt } from 'node:crypto'
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { startPruneJob } from '../src/jobs/prune.js'

/** The first run comes 5 to 30 s after start: after the start itself, and spread over a fleet restarting together. */
const FIRST_RUN_MIN_MS = 5000
const FIRST_RUN_MAX_MS = 30_000

/** Bounded growth (I5): deletes expired and revoked rows every PRUNE_INTERVAL seconds (0: never, on this instance). */
async function prunePlugin (fastify: FastifyInstance): Promise<void> {
  const config = fastify.config
  if (config.PRUNE_INTERVAL === 0) return
  const job = startPruneJob({
    db: fastify.db,
    dialect: fastify.database.dialect,
    policy: { accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL, auditRetentionDays: config.AUDIT_RETENTION_DAYS },
    intervalSeconds: config.PRUNE_INTERVAL,
    firstRunMs: Math.min(randomInt(FIRST_RUN_MIN_MS, FIRST_RUN_MAX_MS), config.PRUNE_INTERVAL * 1000),
    onResult: (counts, ms) => {
      if (counts === null) fastify.log.debug('prune skipped: another instance holds the lock')
      else fastify.log.info({ pruned: counts, ms }, 'prune done')
    },
    // A database outage makes a run fail; the next interval tries again.
    onError: (error) => { fastify.log.warn({ reason: error instanceof Error ? error.message : 'unknown' }, 'prune failed') }
  })
  fastify.addHook('onClose', async () => { await job.stop() })
}

export default fp(prunePlugin, { name: 'prune', fastify: '5.x', dependencies: ['db'] })
