#!/usr/bin/env bash
# Ends this session: the access token stops working at once, the refresh token too.
set -euo pipefail
source "$(dirname "$0")/_lib.sh"

call 204 POST /auth/logout auth
call 401 GET /protected auth
echo "after logout the access token is refused: $(response_header www-authenticate)"
refresh_token="$(json_get "$STATE_DIR/tokens.json" refresh_token)"
call 401 POST /auth/refresh noauth "$(json_object refresh_token "$refresh_token")"
echo 'and so is the refresh token'
rm -f "$AUTH_HEADER_FILE" "$STATE_DIR/tokens.json"
