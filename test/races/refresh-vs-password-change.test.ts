import t from 'tap'
import { onEachDatabase } from '../helpers/databases.js'
import { bearer, expectStatus, login, OTHER_PASSWORD, raceLab, registerUser, STRONG_PASSWORD, survives } from '../helpers/race-lab.js'

onEachDatabase(t, 'I1: a refresh that read its token before a password change gets no working token', async (t, databaseUrl) => {
  const lab = await raceLab(t, databaseUrl)
  const user = await registerUser(lab.app)
  let current = STRONG_PASSWORD
  let survivors = 0
  const rounds = 20
  for (let round = 0; round < rounds; round++) {
    const next = current === STRONG_PASSWORD ? OTHER_PASSWORD : STRONG_PASSWORD
    const attacker = await login(lab.app, user.username, current)
    const victim = await login(lab.app, user.username, current)
    const { reached, release } = lab.refreshPause.arm()
    const pending = lab.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refresh_token: attacker.refresh_token } })
    await reached
    const changed = await lab.app.inject({ method: 'POST', url: '/auth/password', headers: bearer(victim.access_token), payload: { current_password: current, new_password: next } })
    release()
    expectStatus(t, changed, 204, `round ${round}: the change`)
    current = next
    const refreshed = await pending
    expectStatus(t, refreshed, 401, `round ${round}: the raced refresh`)
    if (await survives(lab.app, refreshed)) survivors++
  }
  t.equal(survivors, 0, `0 of ${rounds} raced refreshes kept a working session`)
})
