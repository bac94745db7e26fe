// RFC 6238 TOTP (HMAC-SHA-1, 6 digits, 30 s) with node:crypto only, so the examples need no
// authenticator app: node _totp.mjs <base32 secret> [step offset]. oathtool does the same:
// oathtool --totp -b <secret>.
import { createHmac } from 'node:crypto'

const [secret = '', offset = '0'] = process.argv.slice(2)
const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
let bits = ''
for (const char of secret.replace(/=+$/, '').toUpperCase()) {
  const value = alphabet.indexOf(char)
  if (value < 0) throw new Error('the secret is not base32')
  bits += value.toString(2).padStart(5, '0')
}
const key = Buffer.from(bits.match(/.{8}/g).map((byte) => parseInt(byte, 2)))
const counter = Buffer.alloc(8)
counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000) + Number(offset)))
const hmac = createHmac('sha1', key).update(counter).digest()
const start = hmac[hmac.length - 1] & 0x0f
const code = (hmac.readUInt32BE(start) & 0x7fffffff) % 1000000
process.stdout.write(String(code).padStart(6, '0'))
