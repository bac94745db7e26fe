import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { buildApp } from '../src/build-app.js'
import { loadConfig } from '../src/config.js'

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
  const mode = process.argv[2]
  const generated = await generateOpenApi()
  if (mode === '--write') {
    writeFileSync(OPENAPI_PATH, generated)
    console.log('openapi/openapi.json written')
    return
  }
  let committed = ''
  try {
    committed = readFileSync(OPENAPI_PATH, 'utf8')
  } catch {
    // A missing file is simply a difference.
  }
  if (committed !== generated) {
    console.error('openapi/openapi.json differs from what the code generates: run `npm run openapi:generate` and commit the result.')
    process.exit(1)
  }
  console.log('openapi/openapi.json is up to date')
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'))) await main()
