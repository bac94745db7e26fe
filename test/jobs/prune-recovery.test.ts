import t from 'tap'
import { runPrune } from '../../src/jobs/prune.js'
import { issueRecoveryToken } from '../../src/repositories/recovery-tokens.js'
import { buildTestApp } from '../helpers/app.js'
import { onEachDatabase } from '../helpers/databases.js'
import { registerAndLogin } from '../helpers/users.js'

onEachDatabase(t, 'I5: expired recovery tokens are pruned a day after they expire; live ones stay', async (t, databaseUrl) => {
  const { app } = await buildTestApp(t, { DATABASE_URL: databaseUrl, PRUNE_INTERVAL: '0' })
  const user = await registerAndLogin(app, 'pruned')
  const policy = { accessTokenTtlSeconds: 900, auditRetentionDays: 365 }
  const now = Date.now()
  // A week of hourly reset requests: 168 tokens, each living 30 minutes.
  for (let hour = 0; hour < 168; hour++) {
    await issueRecoveryToken(app.db, { purpose: 'password_reset', userId: user.id, ttlSeconds: 1800 }, new Date(now - (168 - hour) * 3_600_000))
  }
  const live = await issueRecoveryToken(app.db, { purpose: 'email_verification', userId: user.id, email: 'x@example.test', ttlSeconds: 86400 }, new Date(now))
  const counts = await runPrune(app.db, app.database.dialect, policy, new Date(now))
  t.ok(counts !== null && counts.recoveryTokens >= 140, `old tokens deleted: ${counts?.recoveryTokens}`)
  const left = await app.db.selectFrom('recovery_tokens').select(['id', 'expires_at']).execute()
  t.ok(left.length <= 26, `only the last day's are kept: ${left.length}`)
  t.ok(left.some((row) => row.id === live.id), 'a live token stays')
})
