import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { registerUser, STRONG_PASSWORD, uniqueUsername } from '../helpers/users.js'

const ROUNDS = 20
const WRONG = 'definitely-not-the-right-password'

function median (values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle] ?? Number.NaN : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2
}

t.test('D2: unknown user, wrong password and disabled user cost the same (no timing oracle)', async (t) => {
  // The back-off would otherwise answer the later rounds early with 429; here we time the 401 path.
  const { app } = await buildTestApp(t, { LOGIN_FREE_FAILURES: '100', LOGIN_LOCK_THRESHOLD: '100' })
  const active = await registerUser(app)
  const disabled = await registerUser(app)
  await app.db.updateTable('users').set({ disabled: 1 }).where('id', '=', disabled.id).execute()

  const cases = {
    unknown: () => ({ username: uniqueUsername('ghost'), password: WRONG }),
    wrong_password: () => ({ username: active.username, password: WRONG }),
    disabled: () => ({ username: disabled.username, password: STRONG_PASSWORD })
  }
  const times: Record<keyof typeof cases, number[]> = { unknown: [], wrong_password: [], disabled: [] }
  const names = Object.keys(cases) as Array<keyof typeof cases>
  // Warm-up, then interleaved rounds so drift in machine load hits every case alike.
  for (const name of names) await app.inject({ method: 'POST', url: '/auth/login', payload: cases[name]() })
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of names) {
      const started = performance.now()
      const response = await app.inject({ method: 'POST', url: '/auth/login', payload: cases[name]() })
      times[name].push(performance.now() - started)
      if (response.statusCode !== 401) throw new Error(`${name}: expected 401, got ${response.statusCode}`)
    }
  }
  const medians = Object.fromEntries(names.map((name) => [name, +median(times[name]).toFixed(1)])) as Record<keyof typeof cases, number>
  t.comment(`D2 measured medians (ms over ${ROUNDS} logins each): ${JSON.stringify(medians)}`)
  // Loose enough for a busy machine, tight enough to catch a skipped argon2 verify (which is ~100x cheaper).
  t.ok(medians.unknown >= 0.5 * medians.wrong_password, 'unknown user is not measurably faster')
  t.ok(medians.disabled >= 0.5 * medians.wrong_password, 'disabled user is not measurably faster')
  t.ok(medians.unknown <= 2 * medians.wrong_password, 'unknown user is not measurably slower')
  t.ok(medians.disabled <= 2 * medians.wrong_password, 'disabled user is not measurably slower')
})
