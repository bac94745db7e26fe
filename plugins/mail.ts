import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { BackgroundQueue } from '../src/lib/background-queue.js'
import { Mailer } from '../src/mail/mailer.js'
import { mailSettings } from '../src/mail/settings.js'
import { outboxTransport, smtpTransport } from '../src/mail/transport.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Sends mail with a bounded retry; failures logged and audited without the token. */
    mailer: Mailer
    /** Recovery work done off the request path: the request answers first, whatever happens here (K7). */
    recoveryJobs: BackgroundQueue
  }
}

/** Jobs at once: a slow relay must not hold every slot, and SQLite has one writer anyway. */
const CONCURRENCY = 4
/** Waiting jobs; past this a request still answers 202 and its job is dropped, with a warning. */
const MAX_PENDING = 1000
/**
 * Jobs start this long after their request was answered, not at once: a job's CPU and
 * synchronous SQLite work (heavier for a known address: token, mail) then never overlaps the
 * reading of its own answer, even by a client on the same machine (bench/recovery-timing.ts
 * measured a known/unknown gap of ~0.4 ms, about 15 %, without it). A prober sending requests
 * back to back meets jobs of earlier requests, of either kind alike.
 */
const START_DELAY_MS = 25
/** A graceful close waits this long for queued mail (well inside SHUTDOWN_TIMEOUT's default). */
const CLOSE_WAIT_MS = 5000

/**
 * Mail through SMTP_URL, or, without it, to MAIL_OUTBOX_DIR and the log (development): the
 * configuration refuses production with recovery on and no SMTP_URL (src/config.ts).
 */
async function mailPlugin (fastify: FastifyInstance): Promise<void> {
  const { config } = fastify
  const settings = mailSettings(config)
  const transport = config.SMTP_URL === undefined
    ? outboxTransport(config.MAIL_OUTBOX_DIR, settings.from, fastify.log)
    : smtpTransport(config.SMTP_URL, settings.from)
  const mailer = new Mailer(transport, settings, fastify.db, fastify.log, fastify.testHooks.mailRetryDelaysMs)
  const jobs = new BackgroundQueue({
    concurrency: CONCURRENCY,
    maxPending: MAX_PENDING,
    startDelayMs: START_DELAY_MS,
    // A job that failed (the database went away, say) already answered its request: a line, no crash (I3).
    onError: (error) => { fastify.log.error({ err: { message: error instanceof Error ? error.message : 'unknown' } }, 'recovery job failed') }
  })
  fastify.decorate('mailer', mailer)
  fastify.decorate('recoveryJobs', jobs)
  if (config.RECOVERY === 'off') fastify.log.info('account recovery by mail is off (RECOVERY=off, or production without SMTP_URL)')
  // Registered after db: onClose hooks run in reverse, so queued mail and its audit rows go out before the pools close.
  fastify.addHook('onClose', async () => {
    await jobs.close(CLOSE_WAIT_MS)
    mailer.close()
  })
}

export default fp(mailPlugin, { name: 'mail', fastify: '5.x', dependencies: ['config', 'db', 'logging', 'audit'] })
