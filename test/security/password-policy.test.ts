import t from 'tap'
import { blocklistSize, isBlockedPassword } from '../../src/security/password-blocklist.js'
import { checkPassword, passwordLength, PASSWORD_MAX_LENGTH } from '../../src/security/password-policy.js'

t.test('D4: length is counted in code points', async (t) => {
  t.equal(passwordLength('abc'), 3)
  t.equal(passwordLength('🔐🔐'), 2)
  t.equal(passwordLength('e\u0301'), 2, 'a combining mark is its own code point: no normalisation')
  t.equal(PASSWORD_MAX_LENGTH, 128)
})

t.test('D4: bounds, blocklist and username rules', async (t) => {
  t.same(checkPassword('a'.repeat(14), 'bob', 15), [{ pointer: '/password', message: 'must be at least 15 characters long' }])
  t.same(checkPassword('horse-battery-x', 'bob', 15), [], 'exactly the minimum')
  t.same(checkPassword('h'.repeat(128) + '', 'bob', 15).filter((v) => /at most/.test(v.message)), [])
  t.match(checkPassword('h'.repeat(129), 'bob', 15)[0]?.message, /at most 128/)
  t.match(checkPassword('passwordpassword', 'bob', 15)[0]?.message, /common/)
  t.match(checkPassword('xx-ALICE-is-here-xx', 'alice', 15)[0]?.message, /username/)
  t.same(checkPassword('xx-aliceX-is-here', 'bob', 15), [])
  t.equal(checkPassword('passwordpassword', 'pass', 15).length, 2, 'every violation is reported')
  t.same(checkPassword('short', 'bob', 15, '/new_password')[0]?.pointer, '/new_password', 'pointer is configurable for password changes')
  t.same(checkPassword('all lowercase and no digits', 'bob', 15), [], 'no composition rules')
})

t.test('D4: the bundled blocklist holds tens of thousands of entries and matches case-insensitively', async (t) => {
  t.ok(blocklistSize() >= 10000, `${blocklistSize()} entries`)
  t.ok(isBlockedPassword('password'))
  t.ok(isBlockedPassword('PASSWORD'))
  t.ok(isBlockedPassword('1qaz2wsx3edc4rfv'))
  t.notOk(isBlockedPassword('orbit-lantern-quietly-47-meadow'))
})
