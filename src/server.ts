import closeWithGrace from 'close-with-grace'
import { buildApp } from './build-app.js'
import { ConfigError, loadConfig } from './config.js'

/** Entry point: validate the environment, build the app, listen, and close gracefully on signals. */
async function main (): Promise<void> {
  let config
  try {
    config = loadConfig(process.env)
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`)
      process.exit(78)
    }
    throw error
  }
  const app = await buildApp(config)
  // On SIGTERM (I4): readiness turns 503, the listening socket closes, idle keep-alive
  // connections are closed, requests in flight finish and are answered with Connection: close,
  // then the pools close. Past SHUTDOWN_TIMEOUT seconds the process exits anyway (status 1),
  // so a stuck request cannot hold a rolling restart for ever.
  closeWithGrace({
    delay: config.SHUTDOWN_TIMEOUT * 1000,
    onTimeout: (delay) => { app.log.error({ shutdownTimeoutMs: delay }, 'drain did not finish in time; exiting') }
  }, async ({ err, signal }) => {
    if (err !== undefined) app.log.error({ err }, 'closing after an error')
    const started = Date.now()
    app.log.info({ signal }, 'draining')
    await app.close()
    app.log.info({ drainMs: Date.now() - started }, 'drained and closed')
  })
  await app.listen({ host: config.HOST, port: config.PORT })
}

await main()
