import cors from '@fastify/cors'
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { splitList } from '../src/config.js'

/** CORS is off unless CORS_ORIGINS lists exact origins; never a wildcard or a reflected origin (G3). */
async function corsPlugin (fastify: FastifyInstance): Promise<void> {
  const origins = splitList(fastify.config.CORS_ORIGINS)
  if (origins.length === 0) return
  await fastify.register(cors, {
    origin: origins,
    methods: ['GET', 'POST', 'PATCH', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'X-Request-Id'],
    exposedHeaders: ['X-Request-Id', 'Location', 'Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset'],
    maxAge: 600,
    credentials: false
  })
}

export default fp(corsPlugin, { name: 'cors', fastify: '5.x', dependencies: ['config'] })
