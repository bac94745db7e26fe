// The passkeys example of the Secure API: plain browser JavaScript, no build step.
// WebAuthn ceremonies go through @simplewebauthn/browser (window.SimpleWebAuthnBrowser, served
// by the app from node_modules); every call is the public API, as any front end would make it.
'use strict'

const { startRegistration, startAuthentication, browserSupportsWebAuthn } = window.SimpleWebAuthnBrowser

/** The session's tokens live in memory only: nothing for an injected script to read back later. */
let tokens = null

const $ = (id) => document.getElementById(id)

function show (status, body, isError = false) {
  $('status').textContent = status
  $('status').className = isError ? 'error' : ''
  $('output').textContent = body === undefined ? '' : JSON.stringify(body, null, 2)
}

/** The claims of our own access token, for display only (the server verifies it). */
function claims (token) {
  const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')
  return JSON.parse(atob(part))
}

function showSession () {
  if (tokens === null) {
    $('session').textContent = 'Not signed in.'
    return
  }
  const { preferred_username: username, amr, acr } = claims(tokens.access_token)
  $('session').textContent = `Signed in as ${username} (amr: ${amr.join(', ')}; acr: ${acr})`
}

/** One JSON call; a problem document (RFC 9457) becomes an Error carrying it. */
async function api (method, path, body) {
  const headers = { accept: 'application/json, application/problem+json' }
  if (body !== undefined) headers['content-type'] = 'application/json'
  if (tokens !== null) headers.authorization = `Bearer ${tokens.access_token}`
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  const text = await response.text()
  const data = text === '' ? null : JSON.parse(text)
  if (!response.ok) {
    const error = new Error(data?.detail ?? `${method} ${path} answered ${response.status}`)
    error.problem = data
    error.status = response.status
    throw error
  }
  return data
}

function credentials () {
  return { username: $('username').value, password: $('password').value }
}

async function register () {
  const user = await api('POST', '/auth/register', credentials())
  show(`Registered ${user.username}. Now log in.`, user)
}

async function passwordLogin () {
  const answer = await api('POST', '/auth/login', credentials())
  if (answer.mfa_required !== true) {
    tokens = answer
    showSession()
    show('Logged in with the password.', { token_type: tokens.token_type, expires_in: tokens.expires_in })
    return
  }
  // The account has a second factor: here, finish with a passkey (a TOTP code would go to the same call).
  if (!answer.methods.includes('webauthn')) throw new Error(`This account's second factor is ${answer.methods.join(' or ')}; this page only does passkeys.`)
  const optionsJSON = await api('POST', '/auth/mfa/webauthn/options', { mfa_token: answer.mfa_token })
  const webauthn = await startAuthentication({ optionsJSON })
  tokens = await api('POST', '/auth/mfa/verify', { mfa_token: answer.mfa_token, webauthn })
  showSession()
  show('Logged in with the password and the passkey as second factor.', { token_type: tokens.token_type, expires_in: tokens.expires_in })
}

/** Enrolment needs a recent authentication (step-up, RFC 9470): a fresh login is one. */
async function enrol () {
  if (tokens === null) throw new Error('Log in first: enrolling a passkey needs a recent login.')
  const optionsJSON = await api('POST', '/auth/passkeys/registration/options')
  const response = await startRegistration({ optionsJSON })
  const passkey = await api('POST', '/auth/passkeys', { response, name: $('passkey-name').value || undefined })
  show(`Passkey "${passkey.name}" enrolled.`, passkey)
}

async function logout () {
  if (tokens !== null) await api('POST', '/auth/logout')
  tokens = null
  showSession()
  show('Logged out.')
}

/** Passwordless: no username; the browser offers the discoverable passkeys of this site. */
async function passkeyLogin () {
  const { challenge_id: challengeId, ...optionsJSON } = await api('POST', '/auth/passkeys/login/options', {})
  const response = await startAuthentication({ optionsJSON })
  tokens = await api('POST', '/auth/passkeys/login', { challenge_id: challengeId, response })
  showSession()
  show('Logged in with the passkey alone.', { token_type: tokens.token_type, expires_in: tokens.expires_in })
}

async function callProtected () {
  const body = await api('GET', '/protected')
  show('GET /protected answered 200.', body)
}

function bind (id, action) {
  $(id).addEventListener('click', () => {
    show('Working…')
    action().catch((error) => {
      show(error.message, error.problem, true)
    })
  })
}

bind('register', register)
bind('login', passwordLogin)
bind('enrol', enrol)
bind('logout', logout)
bind('passkey-login', passkeyLogin)
bind('protected', callProtected)
if (!browserSupportsWebAuthn()) show('This browser does not support WebAuthn.', undefined, true)
document.body.dataset.ready = 'true'
