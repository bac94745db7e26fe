import Fastify from 'fastify'

/**
 * The baseline of every ratio: the same Fastify, logger off, one route, nothing else (issue 10).
 * Started by bench/ratio.ts as its own process; PORT is chosen by the orchestrator.
 */
const app = Fastify({ logger: false })
app.get('/', async () => ({ hello: 'world' }))
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) })
