import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export interface PackageInfo {
  version: string
  description: string
}

/**
 * The project's package.json, found by walking up from this file, so the same code works from
 * src/ (tsx, tests) and from dist/src/ (npm start), which sit at different depths.
 */
export function readPackageInfo (from: string = import.meta.url): PackageInfo {
  let dir = dirname(fileURLToPath(from))
  for (;;) {
    const candidate = join(dir, 'package.json')
    if (existsSync(candidate)) return JSON.parse(readFileSync(candidate, 'utf8')) as PackageInfo
    const parent = dirname(dir)
    if (parent === dir) throw new Error('package.json not found above the application code')
    dir = parent
  }
}
