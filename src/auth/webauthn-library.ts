import type * as SimpleWebAuthnServer from '@simplewebauthn/server'

/**
 * @simplewebauthn/server with its CBOR, COSE and ASN.1 dependencies (about 4 MiB of heap) loads
 * at the first passkey ceremony, not at start: most instances serve tokens and never see one
 * (issue 10, memory). One import, shared by every caller.
 */
let loading: Promise<typeof SimpleWebAuthnServer> | undefined

export async function webauthnLibrary (): Promise<typeof SimpleWebAuthnServer> {
  loading ??= import('@simplewebauthn/server')
  return await loading
}
