#!/usr/bin/env bash
# Exchanges the refresh token for new tokens. Refresh tokens are single use: the old one is
# spent, and presenting it again would end the whole session.
set -euo pipefail
source "$(dirname "$0")/_lib.sh"

state tokens.json >/dev/null
refresh_token="$(json_get "$STATE_DIR/tokens.json" refresh_token)"
[ -n "$refresh_token" ] || die "no refresh_token in $STATE_DIR/tokens.json: run 01-login.sh first"

call 200 POST /auth/refresh noauth "$(json_object refresh_token "$refresh_token")"
[ "$(response_header cache-control)" = 'no-store' ] || die 'a token response must carry Cache-Control: no-store'
[ "$(json_get "$RESPONSE_BODY" refresh_token)" != "$refresh_token" ] || die 'the refresh token was not rotated'
save_tokens
echo "new tokens saved to $STATE_DIR/tokens.json"
call 200 GET /protected auth
