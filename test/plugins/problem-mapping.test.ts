import t from 'tap'
import { describePattern, toProblem } from '../../plugins/problem-details.js'
import { HttpProblem } from '../../src/lib/problems.js'
import { QueueFullError } from '../../src/lib/semaphore.js'

/** A validation failure shaped as Fastify hands it to the error handler. */
function validation (entries: Array<Record<string, unknown>>, context = 'body'): Error {
  return Object.assign(new Error('validation'), { validation: entries, validationContext: context, statusCode: 400 })
}

t.test('B4: every Ajv keyword gets our own words, never the library text', async (t) => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ keyword: 'exclusiveMinimum', instancePath: '/n', params: { limit: 0 }, message: 'must be > 0' }, 'must be greater than 0'],
    [{ keyword: 'exclusiveMaximum', instancePath: '/n', params: { limit: 10 }, message: 'must be < 10' }, 'must be less than 10'],
    [{ keyword: 'type', instancePath: '/n', params: { type: 'string,null' }, message: 'must be string,null' }, 'must be a string or null'],
    [{ keyword: 'type', instancePath: '/n', params: { type: 'tuple' }, message: 'must be tuple' }, 'is invalid'],
    [{ keyword: 'format', instancePath: '/n', params: { format: 'Weird Format!' }, message: 'must match format' }, 'is invalid'],
    [{ keyword: 'format', instancePath: '/n', params: { format: 'uuid' }, message: 'must match format "uuid"' }, 'must be a valid uuid'],
    [{ keyword: 'somethingNew', instancePath: '/n', params: {}, message: 'library words' }, 'is invalid']
  ]
  for (const [entry, expected] of cases) {
    const problem = toProblem(validation([entry]))
    t.equal(problem.status, 400)
    t.equal(problem.errors?.[0]?.message, expected, String(entry.keyword))
    t.notMatch(JSON.stringify(problem.errors), String(entry.message), 'the library message is not passed on')
  }
  const atRoot = toProblem(validation([{ keyword: 'type', params: { type: 'object' }, message: 'must be object' }]))
  t.equal(atRoot.errors?.[0]?.pointer, '/', 'a failure of the whole body points at the root')
  const query = toProblem(validation([{ keyword: 'maximum', instancePath: '/limit', params: { limit: 100 } }], 'querystring'))
  t.equal(query.errors?.[0]?.location, 'query')
})

t.test('patterns are described only when they can be described exactly', async (t) => {
  t.equal(describePattern('^[A-Za-z0-9._-]+$'), 'may contain only letters, digits, ".", "_" and "-"')
  t.equal(describePattern('^[0-9]+$'), 'may contain only digits')
  t.equal(describePattern('^[a-z]+$'), 'contains characters that are not allowed', 'lower case only is not "letters"')
  t.equal(describePattern('^[abc]+$'), 'contains characters that are not allowed')
  t.equal(describePattern('^(a|b)$'), 'contains characters that are not allowed')
  t.equal(describePattern(42), 'contains characters that are not allowed')
})

t.test('errors that are not problems map by status, hiding what failed', async (t) => {
  t.equal(toProblem(Object.assign(new Error('teapot internals'), { statusCode: 418 })).status, 418)
  t.equal(toProblem(Object.assign(new Error('teapot internals'), { statusCode: 418 })).detail, 'The request could not be processed.')
  const crash = toProblem(new TypeError('cannot read properties of undefined (reading "x") at /work/main/src/x.ts:1'))
  t.equal(crash.status, 500)
  t.notMatch(crash.detail, /undefined|\/work|TypeError/, 'B4: no library text, path or stack')
  t.equal(toProblem(new QueueFullError()).status, 503)
  const own = new HttpProblem({ status: 409, slug: 'x', title: 'Conflict', detail: 'd' })
  t.equal(toProblem(own), own, 'our own problems pass through unchanged')
})
