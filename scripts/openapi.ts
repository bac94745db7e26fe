import { randomBytes } from 'node:crypto'
import { buildApp } from '../src/build-app.js'
import { loadConfig } from '../src/config.js'
import { isEntryPoint, writeOrCheck } from './generated-file.js'

/**
 * Writes openapi/openapi.json from the running app's schemas (`--write`), or fails when the
 * committed file differs from what the code generates (`--check`). Never edit the file by hand.
 */
export const OPENAPI_PATH = new URL('../openapi/openapi.json', import.meta.url)

export async function generateOpenApi (): Promise<string> {
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: 'sqlite::memory:',
    KEY_ENCRYPTION_SECRET: randomBytes(32).toString('base64url'),
    LOG_LEVEL: 'silent'
  })
  const app = await buildApp(config)
  try {
    await app.ready()
    return `${JSON.stringify(app.swagger(), null, 2)}\n`
  } finally {
    await app.close()
  }
}

async function main (): Promise<void> {
  writeOrCheck(process.argv[2], OPENAPI_PATH, await generateOpenApi(), 'openapi/openapi.json', 'npm run openapi:generate')
}

if (isEntryPoint(import.meta.url)) await main()
