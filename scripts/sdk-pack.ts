import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isEntryPoint } from './generated-file.js'

/**
 * Builds the `@secure-api/client` package from sdk/ and packs it with npm.
 *
 *   npm run sdk:build              compile sdk/*.ts to sdk/dist (ESM + .d.ts)
 *   npm run sdk:pack [-- DIR]      build in a scratch copy and write the tarball to DIR (default dist/)
 *
 * Packing from a scratch copy leaves sdk/ untouched, so a test can pack while other tests run.
 * The generated sdk/schema.d.ts is a declaration file, which tsc never emits, so it is copied.
 */
const SDK_DIR = fileURLToPath(new URL('../sdk/', import.meta.url))
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc')

export function buildSdk (outDir: string = join(SDK_DIR, 'dist')): void {
  rmSync(outDir, { recursive: true, force: true })
  execFileSync(process.execPath, [TSC, '-p', join(SDK_DIR, 'tsconfig.json'), '--outDir', outDir], { stdio: 'inherit' })
  copyFileSync(join(SDK_DIR, 'schema.d.ts'), join(outDir, 'schema.d.ts'))
}

/** Packs the SDK into `destination` and returns the tarball's path. */
export function packSdk (destination: string): string {
  const stage = mkdtempSync(join(tmpdir(), 'secure-api-sdk-'))
  try {
    for (const file of ['package.json', 'README.md']) copyFileSync(join(SDK_DIR, file), join(stage, file))
    buildSdk(join(stage, 'dist'))
    mkdirSync(destination, { recursive: true })
    const output = execFileSync('npm', ['pack', '--json', '--silent', '--pack-destination', resolve(destination)], { cwd: stage, encoding: 'utf8' })
    // npm pack --json lists one entry per packed directory: here exactly one.
    const [{ filename }] = JSON.parse(output) as [{ filename: string }]
    return join(resolve(destination), filename)
  } finally {
    rmSync(stage, { recursive: true, force: true })
  }
}

if (isEntryPoint(import.meta.url)) {
  if (process.argv[2] === '--build') {
    buildSdk()
    console.log('sdk/dist built')
  } else if (process.argv[2] === '--pack') {
    console.log(packSdk(process.argv[3] ?? fileURLToPath(new URL('../dist/', import.meta.url))))
  } else {
    console.error('usage: --build | --pack [DIR]')
    process.exit(2)
  }
}
