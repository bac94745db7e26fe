import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { AuthTestHooks } from '../src/auth/test-hooks.js'
import type { Config } from '../src/config.js'

declare module 'fastify' {
  interface FastifyInstance {
    config: Config
    /** Empty outside tests: see src/auth/test-hooks.ts. */
    testHooks: AuthTestHooks
  }
}

export interface ConfigPluginOptions {
  config: Config
  testHooks?: AuthTestHooks
}

/** Makes the validated configuration available as `fastify.config` to every plugin and route. */
async function configPlugin (fastify: FastifyInstance, options: ConfigPluginOptions): Promise<void> {
  fastify.decorate('config', options.config)
  fastify.decorate('testHooks', options.testHooks ?? {})
}

export default fp(configPlugin, { name: 'config', fastify: '5.x' })
