import type { FastifyInstance, InjectOptions } from 'fastify'
import t, { type Test } from 'tap'
import { describePattern, toProblem } from '../../plugins/problem-details.js'
import { buildTestApp, json } from '../helpers/app.js'
import { createAdmin } from '../helpers/sessions.js'
import { bearer, registerUser } from '../helpers/users.js'

interface FieldError { pointer: string, message: string, location?: string }
interface Problem { status: number, errors?: FieldError[] }

/** Ajv's own wording ("must be equal to constant", "must match pattern", ...) never reaches a client (B4). */
const AJV_WORDING = /must be equal|must match|must NOT|must have required|must pass|must be (string|integer|boolean|object|array|number|null)\b|allowedValue|anyOf|"\^/

async function fieldErrorsOf (t: Test, app: FastifyInstance, options: InjectOptions): Promise<FieldError[]> {
  const response = await app.inject(options)
  t.equal(response.statusCode, 400, `${options.method ?? 'GET'} ${typeof options.url === 'string' ? options.url : ''} is a 400`)
  t.notMatch(response.body, AJV_WORDING, 'no library wording')
  const errors = json<Problem>(response).errors ?? []
  const pointers = errors.map((error) => error.pointer)
  t.equal(new Set(pointers).size, pointers.length, 'one entry per pointer')
  return errors
}

const register = (payload: unknown): InjectOptions => ({ method: 'POST', url: '/auth/register', payload: payload as Record<string, unknown> })

t.test('B4: a role outside the union is ONE entry listing the allowed values', async (t) => {
  const { app } = await buildTestApp(t)
  const admin = await createAdmin(app)
  const target = await registerUser(app)
  const patch = (payload: unknown): InjectOptions => ({ method: 'PATCH', url: `/admin/users/${target.id}`, headers: bearer(admin.tokens.access_token), payload: payload as Record<string, unknown> })
  t.same(await fieldErrorsOf(t, app, patch({ roles: ['root'] })), [{ pointer: '/roles/0', message: 'must be one of: user, admin', location: 'body' }])
  t.same(await fieldErrorsOf(t, app, patch({ roles: [] })), [{ pointer: '/roles', message: 'must have at least 1 item', location: 'body' }])
  t.same(await fieldErrorsOf(t, app, patch({ roles: ['user', 'user'] })), [{ pointer: '/roles', message: 'must not contain duplicate items', location: 'body' }])
  t.same(await fieldErrorsOf(t, app, patch({ roles: 'admin' })), [{ pointer: '/roles', message: 'must be an array', location: 'body' }])
  t.same(await fieldErrorsOf(t, app, patch({ disabled: 'yes' })), [{ pointer: '/disabled', message: 'must be a boolean', location: 'body' }])
  t.same(await fieldErrorsOf(t, app, patch({})), [{ pointer: '/', message: 'must have at least 1 property', location: 'body' }])
  t.same(await fieldErrorsOf(t, app, patch({ disabled: true, owner: 'x' })), [{ pointer: '/owner', message: 'is not an allowed property', location: 'body' }])
})

t.test('B4: missing, mistyped, short, long and badly spelled fields are described in our words', async (t) => {
  const { app } = await buildTestApp(t)
  t.same(await fieldErrorsOf(t, app, register({})), [
    { pointer: '/username', message: 'is required', location: 'body' },
    { pointer: '/password', message: 'is required', location: 'body' }
  ])
  const mixed = await fieldErrorsOf(t, app, register({ username: 'a b', password: 42 }))
  t.same(mixed.find((error) => error.pointer === '/username')?.message, 'may contain only letters, digits, ".", "_" and "-"')
  t.same(mixed.find((error) => error.pointer === '/password')?.message, 'must be a string')
  t.same(await fieldErrorsOf(t, app, register({ username: 'ab', password: 'orbit-lantern-quietly-47' })), [{ pointer: '/username', message: 'must be at least 3 characters long', location: 'body' }])
  t.same(await fieldErrorsOf(t, app, register({ username: 'x'.repeat(65), password: 'orbit-lantern-quietly-47' })), [{ pointer: '/username', message: 'must be at most 64 characters long', location: 'body' }])
  t.same(await fieldErrorsOf(t, app, { method: 'POST', url: '/auth/register', headers: { 'content-type': 'application/json' }, payload: 'null' }), [{ pointer: '/', message: 'must be an object', location: 'body' }])
})

t.test('B4: query parameters are described in our words too', async (t) => {
  const { app } = await buildTestApp(t)
  const admin = await createAdmin(app)
  const list = (query: string): InjectOptions => ({ method: 'GET', url: `/admin/users?${query}`, headers: bearer(admin.tokens.access_token) })
  t.same(await fieldErrorsOf(t, app, list('limit=0')), [{ pointer: '/limit', message: 'must be at least 1', location: 'query' }])
  t.same(await fieldErrorsOf(t, app, list('limit=101')), [{ pointer: '/limit', message: 'must be at most 100', location: 'query' }])
  t.same(await fieldErrorsOf(t, app, list('limit=ten')), [{ pointer: '/limit', message: 'must be an integer', location: 'query' }])
  t.same(await fieldErrorsOf(t, app, list('cursor=a.b')), [{ pointer: '/cursor', message: 'may contain only letters, digits, "_" and "-"', location: 'query' }])
})

t.test('B4: every Ajv keyword maps to our words, never to entry.message', async (t) => {
  const AJV = 'AJV LIBRARY TEXT'
  const messages = (validation: Array<Record<string, unknown>>): string[] =>
    (toProblem({ validation: validation.map((entry) => ({ message: AJV, ...entry })), validationContext: 'body' }).errors ?? []).map((error) => error.message)
  t.same(messages([{ keyword: 'format', instancePath: '/a', params: { format: 'uuid' } }]), ['must be a valid uuid'])
  t.same(messages([{ keyword: 'format', instancePath: '/a', params: { format: 'date-time' } }]), ['must be a valid date-time'])
  t.same(messages([{ keyword: 'type', instancePath: '/a', params: { type: 'number' } }]), ['must be a number'])
  t.same(messages([{ keyword: 'type', instancePath: '/a', params: { type: ['string', 'null'] } }]), ['must be a string or null'])
  t.same(messages([{ keyword: 'maxItems', instancePath: '/a', params: { limit: 2 } }]), ['must have at most 2 items'])
  t.same(messages([{ keyword: 'maxProperties', instancePath: '/a', params: { limit: 3 } }]), ['must have at most 3 properties'])
  t.same(messages([{ keyword: 'minLength', instancePath: '/a', params: { limit: 1 } }]), ['must be at least 1 character long'])
  t.same(messages([{ keyword: 'enum', instancePath: '/a', params: { allowedValues: ['x', 'y'] } }]), ['must be one of: x, y'])
  t.same(messages([{ keyword: 'anyOf', instancePath: '/a', params: {} }]), ['is not one of the allowed values'])
  t.same(messages([
    { keyword: 'type', instancePath: '/a', params: { type: 'string' } },
    { keyword: 'type', instancePath: '/a', params: { type: 'null' } },
    { keyword: 'anyOf', instancePath: '/a', params: {} }
  ]), ['must be a string or null'], 'a nullable union merges its types')
  t.same(messages([{ keyword: 'pattern', instancePath: '/a', params: { pattern: '^\\d+$' } }]), ['contains characters that are not allowed'])
  t.same(messages([{ keyword: 'not', instancePath: '/a', params: {} }, { keyword: 'if', instancePath: '/b', params: {} }]), ['is invalid', 'is invalid'])
  t.same(messages([{ keyword: 'maxLength', instancePath: '/a', params: {} }]), ['is invalid'], 'no limit, no made-up number')
  t.same(messages([{ keyword: 'not', instancePath: '/a', params: {} }, { keyword: 'maxLength', instancePath: '/a', params: { limit: 5 } }]), ['must be at most 5 characters long'], 'the first failure we have words for wins')
  const many = Array.from({ length: 300 }, (_, index) => ({ keyword: 'additionalProperties', instancePath: '', params: { additionalProperty: `extra${index}` } }))
  t.equal(messages(many).length, 50, 'still at most 50 entries')
})

t.test('B4: a single character class is described; anything else gets the generic text', async (t) => {
  t.equal(describePattern('^[A-Za-z0-9._-]+$'), 'may contain only letters, digits, ".", "_" and "-"')
  t.equal(describePattern('^[0-9]+$'), 'may contain only digits')
  t.equal(describePattern('^[a-z0-9]+$'), 'contains characters that are not allowed', 'lowercase only is not "letters"')
  t.equal(describePattern('^[A-F0-9]+$'), 'contains characters that are not allowed')
  t.equal(describePattern('^[^<>]+$'), 'contains characters that are not allowed')
  t.equal(describePattern('^ab[cd]+$'), 'contains characters that are not allowed')
  t.equal(describePattern(undefined), 'contains characters that are not allowed')
})
