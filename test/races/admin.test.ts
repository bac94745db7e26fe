import t from 'tap'
import { json } from '../helpers/app.js'
import { onEachDatabase } from '../helpers/databases.js'
import { bearer, expectStatus, login, raceLab, registerUser } from '../helpers/race-lab.js'

onEachDatabase(t, 'I2: two administrators demoting each other at once never leave no administrator (20 rounds)', async (t, databaseUrl) => {
  const lab = await raceLab(t, databaseUrl)
  const { app } = lab
  const second = await registerUser(app)
  let bothSucceeded = 0
  for (let round = 0; round < 20; round++) {
    // Exactly two active admins: the lab's and `second`.
    await app.db.updateTable('users').set({ roles: JSON.stringify(['user', 'admin']), disabled: 0 }).where('id', 'in', [lab.admin.id, second.id]).execute()
    const [a, b] = await Promise.all([login(app, lab.admin.username), login(app, second.username)])
    const demotions = [
      { token: a.access_token, target: second.id, body: { roles: ['user'] } },
      { token: b.access_token, target: lab.admin.id, body: round % 2 === 0 ? { roles: ['user'] } : { disabled: true } }
    ]
    const answers = await Promise.all(demotions.map(async (d) => await app.inject({ method: 'PATCH', url: `/admin/users/${d.target}`, headers: bearer(d.token), payload: d.body })))
    const statuses = answers.map((answer) => answer.statusCode).sort()
    if (statuses[0] === 200 && statuses[1] === 200) bothSucceeded++
    // One wins; the other is refused, as the last admin (409) or as no longer an admin (403).
    t.ok(statuses.filter((status) => status === 200).length === 1 && statuses.some((status) => status === 409 || status === 403), `round ${round}: ${statuses.join(', ')}`)
    const admins = await app.db.selectFrom('users').select('id').where('disabled', '=', 0).where('roles', 'like', '%"admin"%').execute()
    t.equal(admins.length, 1, `round ${round}: one administrator left`)
  }
  t.equal(bothSucceeded, 0)
})

onEachDatabase(t, 'I2: the last active administrator cannot be demoted or disabled; a demoted admin\'s token changes nothing', async (t, databaseUrl) => {
  const lab = await raceLab(t, databaseUrl)
  const { app } = lab
  const other = await registerUser(app)
  await app.db.updateTable('users').set({ roles: JSON.stringify(['user', 'admin']) }).where('id', '=', other.id).execute()
  const otherTokens = await login(app, other.username)
  const adminHeaders = bearer(lab.admin.tokens.access_token)

  // The lab admin demotes `other`; other's token (minted as an admin) is now worthless for admin work.
  expectStatus(t, await app.inject({ method: 'PATCH', url: `/admin/users/${other.id}`, headers: adminHeaders, payload: { roles: ['user'] } }), 200, 'demote')
  const restore = await app.inject({ method: 'PATCH', url: `/admin/users/${other.id}`, headers: bearer(otherTokens.access_token), payload: { roles: ['user', 'admin'] } })
  t.equal(restore.statusCode, 401, 'the demoted admin\'s session ended with the demotion')

  // A token whose session survives but whose account lost the role (changed outside the API) is refused by the re-read.
  await app.db.updateTable('users').set({ roles: JSON.stringify(['user', 'admin']) }).where('id', '=', other.id).execute()
  const fresh = await login(app, other.username)
  await app.db.updateTable('users').set({ roles: JSON.stringify(['user']) }).where('id', '=', other.id).execute()
  const stale = await app.inject({ method: 'GET', url: '/admin/users', headers: bearer(fresh.access_token) })
  t.equal(stale.statusCode, 403, 'admin operations read the caller\'s roles again')

  // Now the lab admin is the only one: nobody may demote or disable them, themselves included.
  const self = await app.inject({ method: 'PATCH', url: `/admin/users/${lab.admin.id}`, headers: adminHeaders, payload: { disabled: true } })
  t.equal(self.statusCode, 409)
  t.match(json(self), { type: 'urn:secure-api:problem:cannot-demote-self' })
  const last = await app.db.selectFrom('users').select('id').where('disabled', '=', 0).where('roles', 'like', '%"admin"%').execute()
  t.equal(last.length, 1)
})
