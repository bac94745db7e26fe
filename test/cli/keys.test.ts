import { randomBytes, randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { buildTestApp, json } from '../helpers/app.js'
import { cliEnv, runCli } from '../helpers/cli.js'
import { bearer, login, registerUser } from '../helpers/users.js'

const KID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/

async function jwksKids (app: FastifyInstance): Promise<string[]> {
  const response = await app.inject({ method: 'GET', url: '/.well-known/jwks.json' })
  return json<{ keys: Array<{ kid: string }> }>(response).keys.map((key) => key.kid).sort()
}

function tokenKid (token: string): unknown {
  const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as { kid?: unknown }
  return header.kid
}

async function meStatus (app: FastifyInstance, token: string): Promise<number> {
  return (await app.inject({ method: 'GET', url: '/auth/me', headers: bearer(token) })).statusCode
}

t.test('A4: keys:rotate adds a key that signs at once; the old one verifies until keys:retire', async (t) => {
  const env = cliEnv(t)
  // The first app creates the first key and issues a token with it.
  const { app: before } = await buildTestApp(t, env.app)
  const [oldKid] = await jwksKids(before)
  if (oldKid === undefined) throw new Error('a new app publishes its first key')
  const user = await registerUser(before)
  const oldToken = (await login(before, user.username)).access_token
  t.equal(tokenKid(oldToken), oldKid)

  const [unknown, onlyKey] = await Promise.all([
    runCli('keys-retire', [randomUUID()], env),
    runCli('keys-retire', [oldKid], env)
  ])
  t.equal(unknown.code, 1, 'an unknown kid is refused')
  t.match(unknown.stderr, /^error: no usable EdDSA key has kid /)
  t.equal(onlyKey.code, 1, 'the key signing now cannot be retired')
  t.match(onlyKey.stderr, new RegExp(`^error: ${oldKid} is the key signing now`))

  const rotated = await runCli('keys-rotate', [], env)
  t.equal(rotated.code, 0, rotated.stderr)
  const newKid = KID.exec(rotated.stdout)?.[0]
  t.ok(newKid !== undefined && newKid !== oldKid, `prints the new kid: ${rotated.stdout.trim()}`)
  if (newKid === undefined) return

  const { app: during } = await buildTestApp(t, env.app)
  t.same(await jwksKids(during), [oldKid, newKid].sort(), 'both keys are published')
  t.equal(await meStatus(during, oldToken), 200, 'tokens of the old key still verify')
  const newToken = (await login(during, user.username)).access_token
  t.equal(tokenKid(newToken), newKid, 'the new key signs from now on')

  const [retireNew, retireOld] = await Promise.all([
    runCli('keys-retire', [newKid], env),
    runCli('keys-retire', [oldKid], env)
  ])
  t.equal(retireNew.code, 1, 'the new key signs now: refused')
  t.match(retireNew.stderr, /is the key signing now/)
  t.equal(retireOld.code, 0, retireOld.stderr)
  t.match(retireOld.stdout, new RegExp(`^retired ${oldKid}`))

  const [{ app: after }, again] = await Promise.all([
    buildTestApp(t, env.app),
    runCli('keys-retire', [oldKid], env)
  ])
  t.equal(again.code, 1, 'a retired kid is no longer a usable key')
  t.same(await jwksKids(after), [newKid], 'the retired key left the JWKS')
  t.equal(await meStatus(after, oldToken), 401, 'a token signed by the retired key is rejected')
  t.equal(await meStatus(after, newToken), 200, 'tokens of the current key still work')
})

t.test('A4: keys:rotate --delay publishes the key first; the old one keeps signing and cannot be retired yet', async (t) => {
  const env = cliEnv(t)
  const { app: before } = await buildTestApp(t, env.app)
  const [oldKid] = await jwksKids(before)
  if (oldKid === undefined) throw new Error('a new app publishes its first key')

  const [rotated, badDelay] = await Promise.all([
    runCli('keys-rotate', ['--delay', '3600'], env),
    runCli('keys-rotate', ['--delay', 'soon'], env)
  ])
  t.equal(badDelay.code, 1)
  t.match(badDelay.stderr, /--delay/)
  t.equal(rotated.code, 0, rotated.stderr)
  const newKid = KID.exec(rotated.stdout)?.[0]
  t.ok(newKid !== undefined && newKid !== oldKid, rotated.stdout.trim())
  if (newKid === undefined) return

  const [retireOld, { app: during }] = await Promise.all([
    runCli('keys-retire', [oldKid], env),
    buildTestApp(t, env.app)
  ])
  t.equal(retireOld.code, 1, 'the old key still signs until the delay ends')
  t.match(retireOld.stderr, /is the key signing now/)
  t.same(await jwksKids(during), [oldKid, newKid].sort(), 'the new key is published already')
  const user = await registerUser(during)
  t.equal(tokenKid((await login(during, user.username)).access_token), oldKid, 'and the old key still signs')
})

t.test('A4: under HS256 there is no key pair to rotate or retire', async (t) => {
  const env = cliEnv(t, { JWT_ALG: 'HS256', JWT_SECRET: randomBytes(32).toString('base64url') })
  const [rotated, retired] = await Promise.all([
    runCli('keys-rotate', [], env),
    runCli('keys-retire', [randomUUID()], env)
  ])
  t.equal(rotated.code, 1)
  t.match(rotated.stderr, /^error: JWT_ALG is HS256: rotate by changing JWT_SECRET/)
  t.equal(rotated.stdout, '')
  t.equal(retired.code, 1)
  t.match(retired.stderr, /^error: JWT_ALG is HS256/)
})
