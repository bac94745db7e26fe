import t, { type Test } from 'tap'
import { buildTestApp, json } from '../helpers/app.js'
import { cliEnv, runCli, userExists, type CliEnv, type CliResult } from '../helpers/cli.js'
import { bearer, login, STRONG_PASSWORD } from '../helpers/users.js'

interface Me { roles: string[], username: string }

/** What the API says about an account the command made: its roles and whether /admin/users lets it in. */
async function apiView (t: Test, env: CliEnv, username: string): Promise<{ roles: string[], adminStatus: number }> {
  const { app } = await buildTestApp(t, env.app)
  const tokens = await login(app, username)
  const me = await app.inject({ method: 'GET', url: '/auth/me', headers: bearer(tokens.access_token) })
  t.equal(me.statusCode, 200)
  t.equal(json<Me>(me).username, username)
  const admin = await app.inject({ method: 'GET', url: '/admin/users', headers: bearer(tokens.access_token) })
  return { roles: json<Me>(me).roles, adminStatus: admin.statusCode }
}

t.test('D8: user:create --role admin makes an administrator the API accepts', async (t) => {
  const env = cliEnv(t)
  const result = await runCli('user-create', ['--username', 'admin1', '--role', 'admin'], env, `${STRONG_PASSWORD}\n`)
  t.equal(result.code, 0, result.stderr)
  t.match(result.stdout, /created user admin1 .*user, admin/)
  t.notOk(result.stdout.includes(STRONG_PASSWORD) || result.stderr.includes(STRONG_PASSWORD), 'the password is never printed')
  const view = await apiView(t, env, 'admin1')
  t.same(view.roles, ['user', 'admin'])
  t.equal(view.adminStatus, 200, 'GET /admin/users answers the new admin')
})

t.test('D8: without --role the account is a plain user; a taken username (any case) is refused', async (t) => {
  const env = cliEnv(t)
  const created = await runCli('user-create', ['--username', 'Operator'], env, `${STRONG_PASSWORD}\n`)
  t.equal(created.code, 0, created.stderr)
  const view = await apiView(t, env, 'Operator')
  t.same(view.roles, ['user'])
  t.equal(view.adminStatus, 403, 'no admin role: /admin/users is forbidden')

  const again = await runCli('user-create', ['--username', 'OPERATOR', '--role', 'admin'], env, 'another-strong-passphrase-93\n')
  t.equal(again.code, 1)
  t.match(again.stderr, /^error: the username OPERATOR is taken$/m)
  t.equal(again.stdout, '')
  const after = await apiView(t, env, 'Operator')
  t.same(after.roles, ['user'], 'the existing account is untouched (no admin role slipped in)')
})

interface Refusal {
  name: string
  args: string[]
  stdin: string
  stderr: RegExp
  /** Checked afterwards: the command must not have created it. */
  username?: string
  env?: Record<string, string>
  /** The exit status, when the contract's "non-zero" is pinned more precisely by the code. */
  code?: number
}

const REFUSALS: Refusal[] = [
  { name: 'a short password', args: ['--username', 'shorty'], stdin: 'short-pass\n', stderr: /password must be at least 15 characters long/, username: 'shorty' },
  { name: 'a blocklisted password', args: ['--username', 'common'], stdin: '1qaz2wsx3edc4rfv\n', stderr: /password is too common/, username: 'common' },
  { name: 'a password containing the username', args: ['--username', 'weakling'], stdin: 'orbit-WEAKLING-lantern-47\n', stderr: /password must not contain the username/, username: 'weakling' },
  {
    name: 'a password given as an argument (even with a good one on stdin)',
    args: ['--username', 'argvuser', '--password', STRONG_PASSWORD],
    stdin: `${STRONG_PASSWORD}\n`,
    stderr: /Unknown option '--password'/,
    username: 'argvuser'
  },
  { name: '--password=VALUE', args: ['--username', 'argvuser2', `--password=${STRONG_PASSWORD}`], stdin: '', stderr: /Unknown option '--password'/, username: 'argvuser2' },
  { name: 'a role other than admin', args: ['--username', 'rooted', '--role', 'superuser'], stdin: `${STRONG_PASSWORD}\n`, stderr: /--role accepts only "admin"/, username: 'rooted' },
  { name: 'empty standard input', args: ['--username', 'silent'], stdin: '', stderr: /password must be at least 15 characters long/, username: 'silent' },
  { name: 'no --username', args: [], stdin: `${STRONG_PASSWORD}\n`, stderr: /--username must be/ },
  { name: 'a bad username', args: ['--username', 'a b'], stdin: `${STRONG_PASSWORD}\n`, stderr: /--username must be/ },
  { name: 'an unsupported DATABASE_URL', args: ['--username', 'nodb'], stdin: `${STRONG_PASSWORD}\n`, stderr: /DATABASE_URL/, env: { DATABASE_URL: 'mysql://x' }, code: 78 }
]

t.test('D8: bad input exits non-zero with one clear line on stderr and creates nothing', async (t) => {
  // Each case gets its own database, so the commands can run side by side.
  const runs = await Promise.all(REFUSALS.map(async (refusal): Promise<[Refusal, CliEnv, CliResult]> => {
    const env = cliEnv(t, refusal.env)
    return [refusal, env, await runCli('user-create', refusal.args, env, refusal.stdin)]
  }))
  for (const [refusal, env, result] of runs) {
    t.test(refusal.name, async (t) => {
      t.equal(result.code, refusal.code ?? 1, result.stderr)
      t.match(result.stderr, /^error: /, 'one error line, not a stack trace')
      t.notMatch(result.stderr, /\n\s+at /, 'no stack trace')
      t.match(result.stderr, refusal.stderr)
      t.equal(result.stdout, '', 'nothing reported as created')
      t.notOk(result.stderr.includes(STRONG_PASSWORD), 'the password is never echoed')
      if (refusal.username !== undefined) t.equal(await userExists(env, refusal.username), false, 'no account was created')
    })
  }
})
