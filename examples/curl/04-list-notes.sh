#!/usr/bin/env bash
# Lists your notes page by page (LIMIT per page, default 20), following next_cursor to the end.
set -euo pipefail
source "$(dirname "$0")/_lib.sh"

LIMIT="${LIMIT:-20}"
cursor=''
page=1
total=0
while :; do
  query="limit=$LIMIT"
  # Cursors are base64url: safe in a URL as they are.
  if [ -n "$cursor" ]; then query="$query&cursor=$cursor"; fi
  call 200 GET "/notes?$query" auth
  echo "page $page:"
  pretty "$RESPONSE_BODY"
  total=$((total + $(json_length "$RESPONSE_BODY" items)))
  cursor="$(json_get "$RESPONSE_BODY" next_cursor)"
  [ -n "$cursor" ] || break
  page=$((page + 1))
done
echo "$total note(s) in $page page(s)"
