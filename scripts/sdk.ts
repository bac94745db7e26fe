import { readFileSync } from 'node:fs'
import openapiTS, { astToString, COMMENT_HEADER, type OpenAPI3 } from 'openapi-typescript'
import { isEntryPoint, writeOrCheck } from './generated-file.js'

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
  writeOrCheck(process.argv[2], SDK_SCHEMA_PATH, await generateSdkTypes(), 'sdk/schema.d.ts', 'npm run sdk:generate')
}

if (isEntryPoint(import.meta.url)) await main()
