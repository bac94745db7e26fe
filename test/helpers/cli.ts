import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ConfigSchema } from '../../src/config.js'
import { openDatabase } from '../../src/db/database.js'
import { findUserByUsername } from '../../src/repositories/users.js'
import { testEnv, type Teardown } from './app.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx')
/**
 * A command that hangs (waiting on stdin, say) must fail its test, not the whole run. Generous:
 * several tsx starts at once on a busy 2-core CI machine take tens of seconds.
 */
const CLI_TIMEOUT_MS = 90_000

export interface CliResult {
  /** Exit status; null when the process was killed by a signal. */
  code: number | null
  stdout: string
  stderr: string
}

export interface CliEnv {
  /** The app's environment (DATABASE_URL, KEY_ENCRYPTION_SECRET...): pass it to buildTestApp too. */
  app: Record<string, string | undefined>
  /** The full environment for the child: process.env without any configuration of its own. */
  process: NodeJS.ProcessEnv
}

/**
 * A fresh database and key secret shared by the commands and the apps a test builds. Every
 * configuration variable the runner may have set (DATABASE_URL above all) is dropped first,
 * so a command can only reach the database the test chose.
 */
export function cliEnv (t: Teardown, overrides: Record<string, string | undefined> = {}): CliEnv {
  const app = testEnv(t, overrides)
  const configNames = new Set(Object.keys(ConfigSchema.properties))
  const inherited: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (configNames.has(name) || /DATABASE_URL/i.test(name)) continue
    // tap's coverage of a tsx-compiled child maps branches differently from the test process's,
    // and merging the two made the branch total move from run to run: children are not measured.
    if (name === 'NODE_V8_COVERAGE' || name.startsWith('TAP')) continue
    inherited[name] = value
  }
  const child: NodeJS.ProcessEnv = { ...inherited, FASTIFY_AUTOLOAD_TYPESCRIPT: '1' }
  for (const [name, value] of Object.entries(app)) {
    if (value !== undefined) child[name] = value
  }
  return { app, process: child }
}

/** Runs `tsx src/cli/<name>.ts ...args` from the project root, writing `stdin` and closing it. */
export async function runCli (name: string, args: string[], env: CliEnv, stdin = ''): Promise<CliResult> {
  const child = spawn(TSX, [join('src', 'cli', `${name}.ts`), ...args], {
    cwd: ROOT,
    env: env.process,
    stdio: ['pipe', 'pipe', 'pipe'],
    timeout: CLI_TIMEOUT_MS
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  // The command may exit before reading its input (bad arguments): a closed pipe is expected then.
  child.stdin.on('error', () => {})
  child.stdin.end(stdin)
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (status) => { resolve(status) })
  })
  return { code, stdout, stderr }
}

/** Whether a user exists in the database the commands used, read directly (no app in between). */
export async function userExists (env: CliEnv, username: string): Promise<boolean> {
  const url = env.app.DATABASE_URL
  if (url === undefined) throw new Error('cliEnv always sets DATABASE_URL')
  const database = openDatabase(url)
  try {
    return await findUserByUsername(database.db, username) !== undefined
  } finally {
    await database.close()
  }
}
