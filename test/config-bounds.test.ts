import t from 'tap'
import { refusal } from './helpers/config.js'
import { ConfigSchema, loadConfig } from '../src/config.js'
import { buildTestAppFromConfig, testEnv } from './helpers/app.js'

/**
 * Configuration that composes: every documented variable with numeric bounds, set alone to its
 * minimum and to its maximum, is accepted. A bound that can only hold together with another
 * variable is listed here with the rule that refuses it, so the exception is deliberate.
 */
const CROSS_RULES: Record<string, { bound: 'minimum' | 'maximum', refusal: RegExp }> = {
  // An idle limit longer than the absolute lifetime is a contradiction the operator wrote.
  REFRESH_TOKEN_IDLE_TTL: { bound: 'maximum', refusal: /REFRESH_TOKEN_IDLE_TTL: must not exceed REFRESH_TOKEN_TTL/ }
}

interface Bounded { name: string, minimum: number, maximum: number }

function boundedVariables (): Bounded[] {
  return Object.entries(ConfigSchema.properties).flatMap(([name, schema]) => {
    const { minimum, maximum } = schema as { minimum?: unknown, maximum?: unknown }
    return typeof minimum === 'number' && typeof maximum === 'number' ? [{ name, minimum, maximum }] : []
  })
}

t.test('every numeric variable alone at its minimum and maximum is accepted', async (t) => {
  const variables = boundedVariables()
  // The list is read from the schema; make sure it is not silently empty or missing the new ones.
  t.ok(variables.length >= 25, `${variables.length} bounded variables`)
  for (const name of ['REFRESH_TOKEN_TTL', 'NOTES_PER_USER_MAX', 'AUDIT_RETENTION_DAYS', 'PRUNE_INTERVAL', 'SHUTDOWN_TIMEOUT', 'DATABASE_STATEMENT_TIMEOUT_MS']) {
    t.ok(variables.some((variable) => variable.name === name), `${name} is bounded`)
  }
  for (const { name, minimum, maximum } of variables) {
    for (const [bound, value] of [['minimum', minimum], ['maximum', maximum]] as const) {
      const message = refusal({ [name]: String(value) })
      const rule = CROSS_RULES[name]
      if (rule !== undefined && rule.bound === bound) t.match(message, rule.refusal, `${name}=${value} is refused by its documented cross-rule`)
      else t.equal(message, '', `${name}=${value} (${bound}) is accepted`)
    }
  }
})

t.test('REFRESH_TOKEN_TTL alone below a week: the idle limit follows it', async (t) => {
  t.equal(loadConfig({ REFRESH_TOKEN_TTL: '120' }).REFRESH_TOKEN_IDLE_TTL, 120)
  t.equal(loadConfig({}).REFRESH_TOKEN_IDLE_TTL, 604800)
  t.equal(loadConfig({ REFRESH_TOKEN_TTL: '120', REFRESH_TOKEN_IDLE_TTL: '60' }).REFRESH_TOKEN_IDLE_TTL, 60)
  t.equal(loadConfig({ LOGIN_LOCK_THRESHOLD: '2' }).LOGIN_FREE_FAILURES, 2)
  t.equal(loadConfig({}).LOGIN_FREE_FAILURES, 5)
})

t.test('the app starts with a representative few at their bounds', async (t) => {
  const cases: Array<Record<string, string>> = [
    { REFRESH_TOKEN_TTL: '60' },
    { ACCESS_TOKEN_TTL: '30' },
    { ACCESS_TOKEN_TTL: '86400' },
    { PRUNE_INTERVAL: '0' },
    { NOTES_PER_USER_MAX: '1', SHUTDOWN_TIMEOUT: '1' },
    { DATABASE_CONNECT_TIMEOUT_MS: '100', DATABASE_STATEMENT_TIMEOUT_MS: '100' },
    { LOGIN_LOCK_THRESHOLD: '1' }
  ]
  for (const overrides of cases) {
    const { app } = await buildTestAppFromConfig(t, loadConfig(testEnv(t, overrides)))
    const response = await app.inject({ method: 'GET', url: '/health/ready' })
    t.equal(response.statusCode, 200, `ready with ${JSON.stringify(overrides)}`)
    await app.close()
  }
})
