import { readFileSync, writeFileSync } from 'node:fs'

/**
 * The one way a generated artefact is kept: `--write` stores what the code generates,
 * `--check` fails (exit 1) when the committed file differs, naming the command that fixes it.
 */
export function writeOrCheck (mode: string | undefined, path: URL, generated: string, label: string, regenerate: string): void {
  if (mode === '--write') {
    writeFileSync(path, generated)
    console.log(`${label} written`)
    return
  }
  if (mode !== '--check') {
    console.error(`usage: --write | --check (${label})`)
    process.exit(2)
  }
  let committed = ''
  try {
    committed = readFileSync(path, 'utf8')
  } catch {
    // A missing file is simply a difference.
  }
  if (committed !== generated) {
    console.error(`${label} differs from what the code generates: run \`${regenerate}\` and commit the result.`)
    process.exit(1)
  }
  console.log(`${label} is up to date`)
}

/** True when the importing module is the script node was asked to run (not a test importing it). */
export function isEntryPoint (moduleUrl: string): boolean {
  return process.argv[1] !== undefined && moduleUrl.endsWith(process.argv[1].replace(/\\/g, '/'))
}
