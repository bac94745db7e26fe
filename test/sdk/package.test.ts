import { execFileSync } from 'node:child_process'
import { cpSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import t from 'tap'
import { packSdk } from '../../scripts/sdk-pack.js'
import { tempDir } from '../helpers/app.js'

/**
 * The SDK as a user gets it: packed by `npm run sdk:pack`, installed from the tarball into a
 * scratch project outside the repository, type-checked and imported there. Nothing of the
 * repository is visible to the scratch project except through the installed package.
 */
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc')

const PROGRAM = `import { createSecureApiClient, memoryTokenStore, unwrap, ApiProblemError, SessionEndedError, type Note, type TokenStore } from '@secure-api/client'

const store: TokenStore = memoryTokenStore()
const api = createSecureApiClient({ baseUrl: 'http://127.0.0.1:3000', tokenStore: store, onSessionEnded: () => {} })

export async function demo (): Promise<Note | undefined> {
  await api.login({ username: 'ada', password: 'correct horse battery staple' })
  try {
    return unwrap(await api.POST('/notes', { body: { title: 'Hello', body: 'typed' } }))
  } catch (error) {
    if (error instanceof ApiProblemError) console.log(error.problem.status, error.problem.detail)
    if (error instanceof SessionEndedError) console.log('log in again')
    return undefined
  }
}

// The types are real, not any: a wrong body and an unknown path are compile errors.
// @ts-expect-error title must be a string
void api.POST('/notes', { body: { title: 1, body: '' } })
// @ts-expect-error no such path
void api.GET('/no-such-path')
`

const REPO_MODULES = new URL('../../node_modules/', import.meta.url)

/**
 * No network in tests: the npm cache holds openapi-fetch's tarball but not its registry
 * metadata, so `--offline` cannot resolve it. The dependency goes in first, copied from the
 * repository's node_modules as a registry install would lay it out; npm then checks it
 * against the package's declared range and installs the tarball next to it.
 */
function install (project: string, tarball: string): void {
  for (const name of ['openapi-fetch', 'openapi-typescript-helpers']) {
    cpSync(new URL(name, REPO_MODULES), join(project, 'node_modules', name), { recursive: true, dereference: true })
  }
  run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball], project)
}

function run (command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}

t.test('the packed SDK installs into a fresh project, type-checks against its declarations and imports', async (t) => {
  const tarball = packSdk(tempDir(t, 'secure-api-sdk-pack-'))
  t.match(tarball, /secure-api-client-\d+\.\d+\.\d+\.tgz$/)
  const files = run('tar', ['tzf', tarball], process.cwd()).split('\n').filter(Boolean).sort()
  t.ok(files.includes('package/dist/index.js') && files.includes('package/dist/index.d.ts') && files.includes('package/dist/schema.d.ts'), 'ESM, declarations and the generated types are packed')
  t.notOk(files.some((file) => file.endsWith('.ts') && !file.endsWith('.d.ts')), 'no TypeScript sources in the package')

  const project = tempDir(t, 'secure-api-sdk-consumer-')
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'sdk-consumer', private: true, type: 'module' }))
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2023', 'DOM'], types: [], strict: true, noEmit: true, skipLibCheck: false },
    include: ['main.ts']
  }))
  writeFileSync(join(project, 'main.ts'), PROGRAM)
  install(project, tarball)

  const installed = JSON.parse(run(process.execPath, ['-p', 'JSON.stringify(require("./node_modules/@secure-api/client/package.json"))'], project)) as { name: string, dependencies: Record<string, string> }
  t.equal(installed.name, '@secure-api/client')
  t.ok('openapi-fetch' in installed.dependencies, 'openapi-fetch is a dependency of the package')

  t.doesNotThrow(() => run(process.execPath, [TSC, '-p', 'tsconfig.json'], project), 'the program type-checks against the installed package')

  const exported = run(process.execPath, ['--input-type=module', '-e', `
    const sdk = await import('@secure-api/client')
    const store = sdk.memoryTokenStore({ access_token: 'a', refresh_token: 'r' })
    console.log(JSON.stringify({ client: typeof sdk.createSecureApiClient, unwrap: typeof sdk.unwrap, stored: store.get() }))
  `], project)
  t.same(JSON.parse(exported), { client: 'function', unwrap: 'function', stored: { access_token: 'a', refresh_token: 'r' } }, 'the ESM entry point loads')

  // The check is not vacuous: the same project with a type error fails it.
  writeFileSync(join(project, 'wrong.ts'), "import { createSecureApiClient } from '@secure-api/client'\nvoid createSecureApiClient({ baseUrl: 'x' }).POST('/notes', { body: { title: 1, body: '' } })\n")
  writeFileSync(join(project, 'tsconfig.wrong.json'), JSON.stringify({ extends: './tsconfig.json', include: ['wrong.ts'] }))
  t.throws(() => run(process.execPath, [TSC, '-p', 'tsconfig.wrong.json'], project), 'tsc refuses a number as a note title')
})
