import { spawn } from 'node:child_process'
import t from 'tap'
import { PRODUCTION, refusal } from './helpers/config.js'
import { loadConfig } from '../src/config.js'
import { mailSettings } from '../src/mail/settings.js'
import { waitForExit } from './helpers/processes.js'

const ROOT = new URL('..', import.meta.url).pathname
const RELAY = 'smtps://mailer:relay-password-canary@smtp.example.test'

t.test('recovery defaults: on in development (outbox), off in production without a relay', async (t) => {
  const development = loadConfig({})
  t.equal(development.RECOVERY, 'on')
  t.equal(development.SMTP_URL, undefined)
  t.equal(development.MAIL_OUTBOX_DIR, './data/outbox')
  t.equal(development.RECOVERY_RATE_LIMIT_MAX, 20)
  t.same(mailSettings(development), { from: 'Secure API <no-reply@localhost>', publicUrl: 'http://127.0.0.1:3000' })
  t.equal(loadConfig(PRODUCTION).RECOVERY, 'off', 'production without SMTP_URL: recovery stays off unless asked for')
  const configured = loadConfig({ ...PRODUCTION, SMTP_URL: RELAY, PUBLIC_URL: 'https://app.example.test/', MAIL_FROM: 'App <no-reply@example.test>' })
  t.equal(configured.RECOVERY, 'on', 'with a relay it is on')
  t.same(mailSettings(configured), { from: 'App <no-reply@example.test>', publicUrl: 'https://app.example.test' })
})

t.test('G4: production with recovery on refuses to start without SMTP_URL, an https PUBLIC_URL and MAIL_FROM', async (t) => {
  t.match(refusal({ ...PRODUCTION, RECOVERY: 'on' }), /SMTP_URL: required in production while RECOVERY is on/)
  t.match(refusal({ ...PRODUCTION, RECOVERY: 'on' }), /PUBLIC_URL: required/)
  t.match(refusal({ ...PRODUCTION, RECOVERY: 'on' }), /MAIL_FROM: required/)
  const http = refusal({ ...PRODUCTION, SMTP_URL: RELAY, PUBLIC_URL: 'http://app.example.test', MAIL_FROM: 'a@b.c' })
  t.match(http, /PUBLIC_URL: must be https/)
  t.notMatch(http, /relay-password-canary/, 'the relay URL (and its password) is never echoed')
  t.equal(refusal({ ...PRODUCTION, RECOVERY: 'off' }), '', 'RECOVERY=off runs without a relay')
  t.match(refusal({ SMTP_URL: 'http://smtp.example.test' }), /SMTP_URL/, 'smtp:// or smtps:// only')
  const unparsable = refusal({ SMTP_URL: 'smtp://mailer:relay-password-canary@[::1' })
  t.match(unparsable, /SMTP_URL: not a valid URL/, 'a URL the relay could never be opened with stops the start')
  t.notMatch(unparsable, /relay-password-canary/, 'and is not echoed')
  t.match(refusal({ MAIL_FROM: 'a@b.c\r\nBcc: x@y.z' }), /MAIL_FROM/, 'no header injection through MAIL_FROM')
  t.match(refusal({ PUBLIC_URL: 'https://app.example.test/?next=x' }), /PUBLIC_URL/, 'a base URL, no query')
})

t.test('G4: the server itself refuses to start (exit 78) in production with recovery on and no SMTP_URL', async (t) => {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...PRODUCTION, RECOVERY: 'on', PUBLIC_URL: 'https://app.example.test', MAIL_FROM: 'a@b.c', PORT: '0' }
  const child = spawn(process.execPath, ['--import', 'tsx', `${ROOT}src/server.ts`], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  const code = await waitForExit(child, 30_000)
  t.equal(code, 78, 'a configuration error, before anything listens')
  t.match(output, /SMTP_URL: required in production while RECOVERY is on/)
})
