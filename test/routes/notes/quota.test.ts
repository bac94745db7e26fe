import t from 'tap'
import { buildTestApp, json } from '../../helpers/app.js'
import { onEachDatabase } from '../../helpers/databases.js'
import { bearer, registerAndLogin } from '../../helpers/users.js'

/** I5: notes are bounded per user by NOTES_PER_USER_MAX; the next create is a 403 quota-exceeded problem. */
const MAX = 5
const RACERS = 20

onEachDatabase(t, 'POST /notes beyond NOTES_PER_USER_MAX answers 403 quota-exceeded; deleting makes room', async (t, databaseUrl) => {
  const { app } = await buildTestApp(t, { DATABASE_URL: databaseUrl, NOTES_PER_USER_MAX: String(MAX), PRUNE_INTERVAL: '0' })
  const alice = await registerAndLogin(app, 'alice')
  const bob = await registerAndLogin(app, 'bob')
  const create = async (token: string, title: string): Promise<ReturnType<typeof app.inject>> => await app.inject({ method: 'POST', url: '/notes', headers: bearer(token), payload: { title, body: 'b' } })
  const ids: string[] = []
  for (let i = 0; i < MAX; i++) {
    const response = await create(alice.tokens.access_token, `note ${i}`)
    t.equal(response.statusCode, 201, `note ${i + 1} of ${MAX}`)
    ids.push(json<{ id: string }>(response).id)
  }
  const refused = await create(alice.tokens.access_token, 'one too many')
  t.equal(refused.statusCode, 403)
  t.match(refused.headers['content-type'], /^application\/problem\+json/)
  t.match(json(refused), { type: 'urn:secure-api:problem:quota-exceeded', status: 403, detail: /limit of 5 notes/ })
  t.equal((await create(bob.tokens.access_token, 'bob is not affected')).statusCode, 201, 'the quota is per user')
  t.equal((await app.inject({ method: 'DELETE', url: `/notes/${ids[0] ?? ''}`, headers: bearer(alice.tokens.access_token) })).statusCode, 204)
  t.equal((await create(alice.tokens.access_token, 'room again')).statusCode, 201, 'a deleted note makes room for one')
})

onEachDatabase(t, `${RACERS} concurrent creates against the quota exceed it by little, never by the whole burst`, async (t, databaseUrl) => {
  const { app } = await buildTestApp(t, { DATABASE_URL: databaseUrl, NOTES_PER_USER_MAX: String(MAX), PRUNE_INTERVAL: '0' })
  const user = await registerAndLogin(app)
  const responses = await Promise.all(Array.from({ length: RACERS }, async (_unused, i) => await app.inject({ method: 'POST', url: '/notes', headers: bearer(user.tokens.access_token), payload: { title: `race ${i}`, body: 'b' } })))
  const created = responses.filter((response) => response.statusCode === 201).length
  t.ok(responses.every((response) => response.statusCode === 201 || response.statusCode === 403), 'every answer is 201 or 403')
  const count = await app.db.selectFrom('notes').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()
  t.equal(Number(count.n), created, 'what was answered 201 is what exists')
  t.ok(created >= MAX && created <= MAX + 10, `${created} created for a quota of ${MAX} with ${RACERS} racing`)
  t.comment(`quota ${MAX}, ${RACERS} concurrent creates: ${created} created`)
})
