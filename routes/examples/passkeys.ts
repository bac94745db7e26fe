import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { FastifyPluginAsync } from 'fastify'
import { projectRoot } from '../../src/lib/project-root.js'

/**
 * The passkeys example page (issue 12) at /examples/passkeys/, when PASSKEY_EXAMPLE is on (the
 * default outside production): examples/passkeys/ as it is in the repository, plus the
 * @simplewebauthn/browser UMD bundle served from node_modules (no CDN). Hidden from the OpenAPI
 * document: it is a page, not part of the API.
 *
 * The app's CSP allows nothing (it serves JSON); this page needs its own scripts, its stylesheet
 * and calls to this origin, and nothing more: no inline script or style, no other origin, and
 * the same frame-ancestors 'none' as every response (G1).
 */
export const EXAMPLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'"
].join('; ')

interface Asset { body: Buffer, type: string }

function loadAssets (): Map<string, Asset> {
  const dir = join(projectRoot(import.meta.url), 'examples', 'passkeys')
  // The package's "require" entry is script/index.js; the browser bundle sits beside it in dist/.
  const bundle = join(dirname(createRequire(import.meta.url).resolve('@simplewebauthn/browser')), '..', 'dist', 'bundle', 'index.umd.min.js')
  return new Map<string, Asset>([
    ['/passkeys/', { body: readFileSync(join(dir, 'index.html')), type: 'text/html; charset=utf-8' }],
    ['/passkeys/app.js', { body: readFileSync(join(dir, 'app.js')), type: 'text/javascript; charset=utf-8' }],
    ['/passkeys/style.css', { body: readFileSync(join(dir, 'style.css')), type: 'text/css; charset=utf-8' }],
    ['/passkeys/simplewebauthn-browser.js', { body: readFileSync(bundle), type: 'text/javascript; charset=utf-8' }]
  ])
}

const passkeysExample: FastifyPluginAsync = async (fastify) => {
  if (!fastify.config.PASSKEY_EXAMPLE) return
  const assets = loadAssets()
  fastify.get('/passkeys', { schema: { hide: true } }, async (_request, reply) => await reply.redirect('/examples/passkeys/', 301))
  for (const [path, asset] of assets) {
    fastify.get(path, { schema: { hide: true } }, async (_request, reply) => await reply
      .header('content-type', asset.type)
      .header('content-security-policy', EXAMPLE_CSP)
      .header('cache-control', 'no-cache')
      .send(asset.body))
  }
}

export default passkeysExample
