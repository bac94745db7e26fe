#!/usr/bin/env bash
# Logs in with the saved (or given) credentials and saves the tokens to $STATE_DIR/tokens.json.
set -euo pipefail
source "$(dirname "$0")/_lib.sh"

USERNAME="${USERNAME:-$(state username)}"
PASSWORD="${PASSWORD:-$(state password)}"

call 200 POST /auth/login noauth "$(json_object username "$USERNAME" password "$PASSWORD")"
[ "$(response_header cache-control)" = 'no-store' ] || die 'a token response must carry Cache-Control: no-store'
save_tokens
echo "tokens saved to $STATE_DIR/tokens.json (access token expires in $(json_get "$RESPONSE_BODY" expires_in) s)"
