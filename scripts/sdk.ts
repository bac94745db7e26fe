import { readFileSync, writeFileSync } from 'node:fs'
import openapiTS, { astToString, COMMENT_HEADER, type OpenAPI3 } from 'openapi-typescript'

/**
 * Generates sdk/schema.d.ts (the types of every path, operation and component) from the
 * committed openapi/openapi.json (`--write`), or fails when the committed types differ from
 * what that document generates (`--check`). Run `npm run openapi:generate` first when routes
 * changed; `openapi:check` + `sdk:check` together keep code, document and SDK in step.
 */
export const OPENAPI_PATH = new URL('../openapi/openapi.json', import.meta.url)
export const SDK_SCHEMA_PATH = new URL('../sdk/schema.d.ts', import.meta.url)

export async function generateSdkTypes (document: OpenAPI3 = JSON.parse(readFileSync(OPENAPI_PATH, 'utf8')) as OpenAPI3): Promise<string> {
  const ast = await openapiTS(document)
  return `${COMMENT_HEADER}${astToString(ast)}`
}

async function main (): Promise<void> {
  const mode = process.argv[2]
  const generated = await generateSdkTypes()
  if (mode === '--write') {
    writeFileSync(SDK_SCHEMA_PATH, generated)
    console.log('sdk/schema.d.ts written')
    return
  }
  if (mode !== '--check') {
    console.error('usage: tsx scripts/sdk.ts --write | --check')
    process.exit(2)
  }
  let committed = ''
  try {
    committed = readFileSync(SDK_SCHEMA_PATH, 'utf8')
  } catch {
    // A missing file is simply a difference.
  }
  if (committed !== generated) {
    console.error('sdk/schema.d.ts differs from what openapi/openapi.json generates: run `npm run sdk:generate` and commit the result.')
    process.exit(1)
  }
  console.log('sdk/schema.d.ts is up to date')
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'))) await main()
