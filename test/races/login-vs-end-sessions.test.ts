import t from 'tap'
import { onEachDatabase } from '../helpers/databases.js'
import { bearer, expectStatus, loginAcross, raceLab, registerUser, ROUNDS, STRONG_PASSWORD, survives } from '../helpers/race-lab.js'

onEachDatabase(t, `I1: a login racing an administrator's "end all sessions" yields nothing (${ROUNDS} forced interleavings)`, async (t, databaseUrl) => {
  const lab = await raceLab(t, databaseUrl)
  const user = await registerUser(lab.app)
  let survivors = 0
  for (let round = 0; round < ROUNDS; round++) {
    const raced = await loginAcross(lab, user.username, STRONG_PASSWORD, async () => {
      const ended = await lab.app.inject({ method: 'DELETE', url: `/admin/users/${user.id}/sessions`, headers: bearer(lab.admin.tokens.access_token) })
      expectStatus(t, ended, 204, `round ${round}: the change`)
    })
    expectStatus(t, raced, 401, `round ${round}: the raced login`)
    if (await survives(lab.app, raced)) survivors++
  }
  t.equal(survivors, 0, `0 of ${ROUNDS} raced logins kept a working session`)
})
