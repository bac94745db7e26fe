import { spawn, spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { buildTestApp, tempDir } from '../helpers/app.js'

const CURL_DIR = fileURLToPath(new URL('../../examples/curl/', import.meta.url))

/** Every numbered example, read from the folder as run-all.sh's glob reads it: a new one is checked without editing this test. */
const EXAMPLE_SCRIPTS = readdirSync(CURL_DIR).filter((name) => /^\d\d-.+\.sh$/.test(name)).sort()

const HAS_JQ = spawnSync('sh', ['-c', 'command -v jq'], { stdio: 'ignore' }).status === 0

interface Run { code: number | null, stdout: string, stderr: string }

function run (script: string, env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script], { cwd: CURL_DIR, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString('utf8') })
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8') })
    child.on('error', reject)
    child.on('close', (code) => { resolve({ code, stdout, stderr }) })
  })
}

t.test('the curl examples run in order against a real server and exit 0', async (t) => {
  const { app, rawLogs, config } = await buildTestApp(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  // 10-password-reset.sh reads the development outbox the server writes to.
  const env = { BASE_URL: `http://127.0.0.1:${port}`, OUTBOX_DIR: config.MAIL_OUTBOX_DIR }

  t.ok(EXAMPLE_SCRIPTS.includes('00-register.sh') && EXAMPLE_SCRIPTS.includes('10-password-reset.sh'), 'the examples are found')
  // run-all.sh runs every numbered script in order and names each before it runs, so a failure
  // says which one. Both JSON back-ends: jq where installed, node everywhere.
  for (const tool of HAS_JQ ? ['jq', 'node'] : ['node']) {
    const all = await run('run-all.sh', { ...env, STATE_DIR: tempDir(t, 'secure-api-curl-'), JSON_TOOL: tool })
    t.equal(all.code, 0, `run-all.sh with JSON_TOOL=${tool} exits 0`, { stdout: all.stdout, stderr: all.stderr })
    t.same([...all.stdout.matchAll(/^== (\d\d-.+\.sh)$/gm)].map((match) => match[1]), EXAMPLE_SCRIPTS, `every numbered script ran, in order (JSON_TOOL=${tool})`)
    t.match(all.stdout, /== all examples passed/)
    t.match(all.stdout, /This is a protected route!/)
  }
  if (!HAS_JQ) t.comment('jq is not installed: the jq back-end of the examples was not exercised')
  // H2 by the examples too: the scripts never put secrets where the server would log them.
  t.notMatch(rawLogs(), /correct-horse-battery-staple/, 'no password reaches the logs')
})

t.test('a script fails loudly (non-zero, the problem on stderr) on an unexpected status', async (t) => {
  const { app } = await buildTestApp(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const env = { BASE_URL: `http://127.0.0.1:${port}`, STATE_DIR: tempDir(t, 'secure-api-curl-') }
  t.equal((await run('00-register.sh', { ...env, USERNAME: 'taken.name' })).code, 0)
  const again = await run('00-register.sh', { ...env, USERNAME: 'taken.name' })
  t.not(again.code, 0, 'registering a taken username stops the script')
  t.match(again.stderr, /FAILED: POST \/auth\/register answered 409, expected 201/)
  t.match(again.stderr, /"status": 409/, 'the problem document is shown')

  const noState = await run('03-create-note.sh', { BASE_URL: env.BASE_URL, STATE_DIR: tempDir(t, 'secure-api-curl-') })
  t.not(noState.code, 0, 'without a login first the script stops')
  t.match(noState.stderr, /run 01-login.sh first/)

  const down = await run('02-protected.sh', { ...env, BASE_URL: 'http://127.0.0.1:9' })
  t.not(down.code, 0, 'an unreachable server stops the script')
})
