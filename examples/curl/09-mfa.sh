#!/usr/bin/env bash
# Second factor, end to end: enrol an authenticator app (TOTP), confirm it, log in with the
# password and then the code (POST /auth/mfa/verify), step up (POST /auth/reauthenticate),
# then remove the factor again so the earlier scripts still log in with a password alone.
#
# A code works once, and the server accepts the codes of the neighbouring 30-second steps, so
# this script uses the previous, current and next step's code instead of waiting for the app
# to show a new one, as a person would.
set -euo pipefail
here="$(dirname "$0")"
source "$here/_lib.sh"
command -v node >/dev/null 2>&1 || die 'node computes the TOTP codes here (or use oathtool --totp -b SECRET)'
totp () { node "$here/_totp.mjs" "$1" "$2"; }

USERNAME="${USERNAME:-$(state username)}"
PASSWORD="${PASSWORD:-$(state password)}"

call 200 POST /auth/login noauth "$(json_object username "$USERNAME" password "$PASSWORD")"
save_tokens
call 201 POST /auth/mfa/totp auth
secret="$(json_get "$RESPONSE_BODY" secret)"
factor_id="$(json_get "$RESPONSE_BODY" factor_id)"
echo "add this to an authenticator app: $(json_get "$RESPONSE_BODY" otpauth_uri)"
# The previous step's code is accepted only while the server is still in this step: at the very
# end of one, wait for the next, so the code cannot turn two steps old on its way.
left=$((30 - $(date +%s) % 30))
if [ "$left" -le 5 ]; then sleep "$left"; fi
call 200 POST "/auth/mfa/totp/$factor_id/confirm" auth "$(json_object code "$(totp "$secret" -1)")"
echo "confirmed; $(json_length "$RESPONSE_BODY" recovery_codes) recovery codes shown once (keep them offline)"

# From now on the password alone gets an MFA challenge, not tokens.
call 200 POST /auth/login noauth "$(json_object username "$USERNAME" password "$PASSWORD")"
[ "$(json_get "$RESPONSE_BODY" mfa_required)" = true ] || die 'expected an MFA challenge'
mfa_token="$(json_get "$RESPONSE_BODY" mfa_token)"
echo "MFA challenge: methods $(json_get "$RESPONSE_BODY" methods)"
call 200 POST /auth/mfa/verify noauth "$(json_object mfa_token "$mfa_token" code "$(totp "$secret" 0)")"
save_tokens
call 200 GET /protected auth

# RFC 9470 step-up: a fresh proof inside this session (here, the next step's code).
call 200 POST /auth/reauthenticate auth "$(json_object code "$(totp "$secret" 1)")"
save_tokens
call 204 DELETE "/auth/mfa/factors/$factor_id" auth
echo 'factor removed: the password alone logs in again'
