#!/usr/bin/env bash
# Calls the protected route with the access token, and shows who the token belongs to.
set -euo pipefail
source "$(dirname "$0")/_lib.sh"

call 200 GET /protected auth
pretty "$RESPONSE_BODY"
[ "$(json_get "$RESPONSE_BODY" message)" = 'This is a protected route!' ] || die 'unexpected message'

call 200 GET /auth/me auth
pretty "$RESPONSE_BODY"

# Without a token the same route answers 401 with a problem document and WWW-Authenticate.
call 401 GET /protected noauth
echo "without a token: $(response_header www-authenticate)"
