import t from 'tap'
import { attackerKey, decodeJwt, forge, type JsonObject } from '../../helpers/jwt-forge.js'
import { ALGORITHMS, expectAccepted, expectRejected, tokenLab } from './harness.js'

for (const alg of ALGORITHMS) {
  t.test(`A7 tokens of other kinds and other keys [${alg}]`, async (t) => {
    const lab = await tokenLab(t, alg)
    const { header, payload } = decodeJwt(lab.tokens.access_token)
    const claims = payload as JsonObject

    await expectAccepted(t, lab, lab.tokens.access_token, 'the issued token')

    // An attacker's own key of the very same type, wearing the real kid and perfect claims.
    const attacker = attackerKey(alg)
    await expectRejected(t, lab, forge(header as JsonObject, claims, attacker.using), 'A7 foreign key of the same type, real kid')
    await expectRejected(t, lab, forge({ ...header, kid: 'attacker' }, claims, attacker.using), 'A7 foreign key of the same type, its own kid')

    // Another deployment of this very API (same issuer and audience defaults) with its own key.
    const elsewhere = await tokenLab(t, alg)
    const foreign = { tokens: elsewhere.tokens }
    await expectAccepted(t, elsewhere, foreign.tokens.access_token, 'the other deployment accepts its own token')
    await expectRejected(t, lab, foreign.tokens.access_token, 'A7 a token of another deployment')
    await expectRejected(t, lab, forge({ ...decodeJwt(foreign.tokens.access_token).header, kid: lab.realKey.kid }, decodeJwt(foreign.tokens.access_token).payload as JsonObject, elsewhere.realSigner), 'A7 another deployment\'s key with our kid')
    await expectRejected(t, lab, forge(header as JsonObject, claims, elsewhere.realSigner), 'A7 our claims signed by another deployment\'s key')

    // Tokens of another kind: the opaque refresh token, and JWTs that are not access tokens.
    await expectRejected(t, lab, lab.tokens.refresh_token, 'A7 the refresh token as an access token')
    await expectRejected(t, lab, `${lab.tokens.refresh_token}.${lab.tokens.refresh_token}.${lab.tokens.refresh_token}`, 'A7 refresh token shaped like a JWT')
    await expectRejected(t, lab, lab.forgeWithRealKey({ typ: 'JWT' }, { nonce: 'n-0S6_WzA2Mj', auth_time: Math.floor(Date.now() / 1000) }), 'A7 an ID-token-like JWT signed with the real key')
    await expectRejected(t, lab, lab.forgeWithRealKey({ typ: 'dpop+jwt' }, { htm: 'GET', htu: 'https://api.example/protected' }), 'A7 a DPoP proof signed with the real key')
    await expectRejected(t, lab, lab.forgeWithRealKey({ typ: 'logout+jwt' }, { events: { 'http://schemas.openid.net/event/backchannel-logout': {} } }), 'A7 a logout token signed with the real key')
    t.comment(`${lab.stats.rejected} hostile tokens rejected under ${alg}`)
  })
}
