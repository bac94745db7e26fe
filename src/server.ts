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
  closeWithGrace({ delay: 10_000 }, async ({ err }) => {
    if (err !== undefined) app.log.error({ err }, 'closing after an error')
    await app.close()
  })
  await app.listen({ host: config.HOST, port: config.PORT })
}

await main()
