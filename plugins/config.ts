import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../src/config.js'

declare module 'fastify' {
  interface FastifyInstance {
    config: Config
  }
}

export interface ConfigPluginOptions {
  config: Config
}

/** Makes the validated configuration available as `fastify.config` to every plugin and route. */
async function configPlugin (fastify: FastifyInstance, options: ConfigPluginOptions): Promise<void> {
  fastify.decorate('config', options.config)
}

export default fp(configPlugin, { name: 'config', fastify: '5.x' })
