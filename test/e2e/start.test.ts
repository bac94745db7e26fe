import { spawn, execFile, type ChildProcess } from 'node:child_process'
import { promisify } from 'node:util'
import t, { type Test } from 'tap'
import { tempDir } from '../helpers/app.js'
import { STRONG_PASSWORD } from '../helpers/users.js'

const run = promisify(execFile)
const ROOT = new URL('../..', import.meta.url).pathname

/** The environment of a fresh machine: none of our variables, so every default applies. */
function zeroConfigEnv (): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG']) if (process.env[name] !== undefined) env[name] = process.env[name]
  return { ...env, PORT: '0', LOG_LEVEL: 'info' }
}

/** Starts the compiled server (what `npm start` runs) in `cwd`; resolves with its base URL. */
async function startServer (t: Test, cwd: string): Promise<{ baseUrl: string, child: ChildProcess }> {
  const child = spawn(process.execPath, [`${ROOT}dist/src/server.js`], { cwd, env: zeroConfigEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { child.kill('SIGKILL') })
  let output = ''
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`server did not start: ${output}`)) }, 20_000)
    const onData = (chunk: Buffer): void => {
      output += chunk.toString()
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)
      if (match?.[1] !== undefined) {
        clearTimeout(timer)
        resolve(match[1])
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.on('exit', (code) => { reject(new Error(`server exited with ${String(code)}: ${output}`)) })
  })
  return { baseUrl, child }
}

async function stop (child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => { child.once('exit', resolve) })
  child.kill('SIGTERM')
  await exited
}

t.test('npm start with no configuration: the built server serves the API, Swagger UI and keeps its key across restarts', async (t) => {
  await run('npm', ['run', '-s', 'build'], { cwd: ROOT })
  const cwd = tempDir(t)
  const first = await startServer(t, cwd)
  t.equal((await fetch(`${first.baseUrl}/health`)).status, 200)
  t.equal((await fetch(`${first.baseUrl}/docs`)).status, 200, 'Swagger UI at /docs')
  const document = await (await fetch(`${first.baseUrl}/docs/json`)).json() as { openapi: string }
  t.equal(document.openapi, '3.1.0')
  const credentials = JSON.stringify({ username: 'first.user', password: STRONG_PASSWORD })
  const headers = { 'content-type': 'application/json' }
  t.equal((await fetch(`${first.baseUrl}/auth/register`, { method: 'POST', headers, body: credentials })).status, 201)
  const tokens = await (await fetch(`${first.baseUrl}/auth/login`, { method: 'POST', headers, body: credentials })).json() as { access_token: string }
  t.equal((await fetch(`${first.baseUrl}/protected`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).status, 200)
  await stop(first.child)

  const second = await startServer(t, cwd)
  const again = await fetch(`${second.baseUrl}/protected`, { headers: { authorization: `Bearer ${tokens.access_token}` } })
  t.equal(again.status, 200, 'the development key and its secret file were kept: the old token still verifies')
  await stop(second.child)
})
