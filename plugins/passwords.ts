import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { PasswordHasher } from '../src/security/passwords.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** argon2id hashing with a bounded queue (D2, F4). */
    passwords: PasswordHasher
  }
}

async function passwordsPlugin (fastify: FastifyInstance): Promise<void> {
  const { config } = fastify
  const passwords = new PasswordHasher({
    memoryKiB: config.ARGON2_MEMORY_KIB,
    timeCost: config.ARGON2_TIME_COST,
    parallelism: config.ARGON2_PARALLELISM,
    maxConcurrency: config.ARGON2_MAX_CONCURRENCY,
    maxQueue: config.ARGON2_MAX_QUEUE
  })
  await passwords.init()
  fastify.decorate('passwords', passwords)
}

export default fp(passwordsPlugin, { name: 'passwords', fastify: '5.x', dependencies: ['config'] })
