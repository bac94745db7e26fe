import t from 'tap'
import { onEachDatabase } from '../helpers/databases.js'
import { bearer, expectStatus, loginAcross, raceLab, registerUser, ROUNDS, STRONG_PASSWORD, survives } from '../helpers/race-lab.js'

onEachDatabase(t, `I1: a login racing a disable yields nothing (${ROUNDS} forced interleavings)`, async (t, databaseUrl) => {
  const lab = await raceLab(t, databaseUrl)
  const user = await registerUser(lab.app)
  const admin = bearer(lab.admin.tokens.access_token)
  let survivors = 0
  for (let round = 0; round < ROUNDS; round++) {
    const raced = await loginAcross(lab, user.username, STRONG_PASSWORD, async () => {
      expectStatus(t, await lab.app.inject({ method: 'PATCH', url: `/admin/users/${user.id}`, headers: admin, payload: { disabled: true } }), 200, `round ${round}: disable`)
    })
    expectStatus(t, raced, 401, `round ${round}: the raced login`)
    if (await survives(lab.app, raced)) survivors++
    expectStatus(t, await lab.app.inject({ method: 'PATCH', url: `/admin/users/${user.id}`, headers: admin, payload: { disabled: false } }), 200, `round ${round}: enable again`)
  }
  t.equal(survivors, 0, `0 of ${ROUNDS} raced logins kept a working session`)
})

onEachDatabase(t, `I1 I2: a login of an administrator racing their demotion yields no token (${ROUNDS} forced interleavings)`, async (t, databaseUrl) => {
  const lab = await raceLab(t, databaseUrl)
  const other = await registerUser(lab.app)
  const admin = bearer(lab.admin.tokens.access_token)
  let survivors = 0
  let adminTokens = 0
  for (let round = 0; round < ROUNDS; round++) {
    expectStatus(t, await lab.app.inject({ method: 'PATCH', url: `/admin/users/${other.id}`, headers: admin, payload: { roles: ['user', 'admin'] } }), 200, `round ${round}: promote`)
    const raced = await loginAcross(lab, other.username, STRONG_PASSWORD, async () => {
      expectStatus(t, await lab.app.inject({ method: 'PATCH', url: `/admin/users/${other.id}`, headers: admin, payload: { roles: ['user'] } }), 200, `round ${round}: demote`)
    })
    expectStatus(t, raced, 401, `round ${round}: the raced login`)
    if (await survives(lab.app, raced)) survivors++
    if (raced.statusCode === 200) {
      const token = (JSON.parse(raced.body) as { access_token: string }).access_token
      // The attack of the issue: the demoted admin puts their role back with the raced token.
      const restore = await lab.app.inject({ method: 'PATCH', url: `/admin/users/${other.id}`, headers: bearer(token), payload: { roles: ['user', 'admin'], disabled: false } })
      if (restore.statusCode === 200) adminTokens++
    }
  }
  t.equal(survivors, 0, `0 of ${ROUNDS} raced logins kept a working session`)
  t.equal(adminTokens, 0, 'no raced token restored an admin role')
})
