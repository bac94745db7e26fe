import t from 'tap'
import { onEachDatabase } from '../helpers/databases.js'
import { bearer, expectStatus, login, loginAcross, OTHER_PASSWORD, raceLab, registerUser, ROUNDS, STRONG_PASSWORD, survives } from '../helpers/race-lab.js'

onEachDatabase(t, `I1: a login that verified the old password while the password changed yields nothing (${ROUNDS} forced interleavings)`, async (t, databaseUrl) => {
  const lab = await raceLab(t, databaseUrl)
  const user = await registerUser(lab.app)
  let current = STRONG_PASSWORD
  let survivors = 0
  for (let round = 0; round < ROUNDS; round++) {
    const next = current === STRONG_PASSWORD ? OTHER_PASSWORD : STRONG_PASSWORD
    const victim = await login(lab.app, user.username, current)
    const raced = await loginAcross(lab, user.username, current, async () => {
      const changed = await lab.app.inject({ method: 'POST', url: '/auth/password', headers: bearer(victim.access_token), payload: { current_password: current, new_password: next } })
      expectStatus(t, changed, 204, `round ${round}: the change`)
    })
    current = next
    expectStatus(t, raced, 401, `round ${round}: the raced login`)
    if (await survives(lab.app, raced)) survivors++
  }
  t.equal(survivors, 0, `0 of ${ROUNDS} raced logins kept a working session`)
  t.comment(`password change: ${survivors} surviving sessions over ${ROUNDS} forced interleavings`)
})
