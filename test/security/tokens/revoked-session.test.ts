import { randomUUID } from 'node:crypto'
import t from 'tap'
import type { Test } from 'tap'
import { revokeSession } from '../../../src/repositories/sessions.js'
import { json } from '../../helpers/app.js'
import { KeyEncryption, signingKeyAad } from '../../../src/security/key-encryption.js'
import { onEachDatabase } from '../../helpers/databases.js'
import { decodeJwt, es256SignatureAsDer, forge, malleateEs256, signerFor, type JsonObject } from '../../helpers/jwt-forge.js'
import { bearer } from '../../helpers/users.js'
import { ALGORITHMS, expectAccepted, expectRejected, tokenLab, type TokenLab } from './harness.js'

/** Ends the lab's session the way a user does (POST /auth/logout), or through the repository if that route is absent. */
async function endSession (t: Test, lab: TokenLab): Promise<void> {
  const response = await lab.app.inject({ method: 'POST', url: '/auth/logout', headers: bearer(lab.tokens.access_token) })
  if (response.statusCode === 404) {
    const sid = String(lab.claims.sid)
    await revokeSession(lab.app.db, sid, 'test')
    lab.app.revocations.markRevoked([sid])
    t.comment('POST /auth/logout is not there yet: revoked through the repository')
    return
  }
  t.equal(response.statusCode, 204, 'logout ends the session')
}

for (const alg of ALGORITHMS) {
  onEachDatabase(t, `A9 revocation is keyed on the session, not the token string [${alg}]`, async (t, databaseUrl) => {
    const lab = await tokenLab(t, alg, { DATABASE_URL: databaseUrl })
    const token = lab.tokens.access_token

    // The battery's "real key" is the stored one: decrypted from signing_keys, it signs accepted tokens.
    if (alg !== 'HS256') {
      const row = await lab.app.db.selectFrom('signing_keys').selectAll().where('kid', '=', lab.realKey.kid).executeTakeFirstOrThrow()
      const stored = new KeyEncryption(lab.config.KEY_ENCRYPTION_SECRET ?? '').decrypt(row.private_key, row.kid, signingKeyAad(row.kid, row.alg))
      const { header, payload } = decodeJwt(token)
      await expectAccepted(t, lab, forge(header as JsonObject, { ...payload, jti: randomUUID() }, signerFor(alg, stored)), 'a token signed with the key decrypted from signing_keys')
    }

    // A second access token of the same session, from a refresh.
    const refreshed = await lab.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refresh_token: lab.tokens.refresh_token } })
    const sibling = refreshed.statusCode === 200 ? json<{ access_token: string }>(refreshed).access_token : undefined
    if (sibling !== undefined) t.equal(decodeJwt(sibling).payload.sid, lab.claims.sid, 'the refreshed token belongs to the same session')

    await expectAccepted(t, lab, token, 'before logout')
    let malleated: string | undefined
    if (alg === 'ES256') {
      malleated = malleateEs256(token)
      t.not(malleated, token, 'the malleated token is another string')
      // ECDSA lets anyone make this second valid signature: so revocation must not key on the string.
      const before = await lab.app.inject({ method: 'GET', url: '/protected', headers: bearer(malleated) })
      t.comment(`the (r, n - s) twin before logout answers ${before.statusCode}`)
      t.ok(before.statusCode === 200 || before.statusCode === 401, 'the twin is either accepted as the same principal or rejected, never an error')
    }

    await endSession(t, lab)

    await expectRejected(t, lab, token, 'A9 the logged-out token')
    await expectRejected(t, lab, token, 'A9 the logged-out token again (no verify-cache bypass)', '/auth/me')
    if (sibling !== undefined) await expectRejected(t, lab, sibling, 'A9 another access token of the ended session')
    await expectRejected(t, lab, lab.forgeWithRealKey({}, { jti: randomUUID() }), 'A9 a fresh jti on the ended session, signed with the real key')
    if (malleated !== undefined) {
      await expectRejected(t, lab, malleated, 'A9 the malleated ES256 signature (s -> n - s) of the logged-out token')
      await expectRejected(t, lab, es256SignatureAsDer(token), 'A9 the DER re-encoding of the logged-out token')
      await expectRejected(t, lab, es256SignatureAsDer(malleated), 'A9 the DER re-encoding of the malleated token')
    }
    t.comment(`${lab.stats.rejected} hostile tokens rejected under ${alg}`)
  })
}
