import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The directory holding package.json, found by walking up from the calling file, so files kept
 * beside the code (examples/) are found from src/ under tsx and from dist/ under npm start.
 */
export function projectRoot (from: string = import.meta.url): string {
  let dir = dirname(fileURLToPath(from))
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir
    const parent = dirname(dir)
    if (parent === dir) throw new Error('package.json not found above the application code')
    dir = parent
  }
}
