#!/usr/bin/env bash
# Account recovery with the development outbox (no SMTP_URL: the server writes each message to
# MAIL_OUTBOX_DIR, ./data/outbox by default, instead of sending it). Sets and confirms an email
# address, asks for a reset link, reads it from the outbox, sets a new password with it, and
# shows that the old session has ended. OUTBOX_DIR: where the server writes (its ./data/outbox).
set -euo pipefail
source "$(dirname "$0")/_lib.sh"

OUTBOX_DIR="${OUTBOX_DIR:-./data/outbox}"
USERNAME="${USERNAME:-$(state username)}"
PASSWORD="${PASSWORD:-$(state password)}"
EMAIL="${EMAIL:-$(printf '%s' "$USERNAME" | tr -c 'A-Za-z0-9\n' '-')@example.com}"
NEW_PASSWORD="${NEW_PASSWORD:-violet-harbour-sings-at-dawn-$RANDOM$RANDOM}"

# outbox_token KIND: waits (10 s at most) for a new KIND message to $EMAIL in the outbox and
# prints the token of its link (…#token=…).
outbox_token () {
  local kind="$1" file token
  for _ in $(seq 1 100); do
    for file in $(ls -1 "$OUTBOX_DIR"/*-"$kind"-*.json 2>/dev/null | sort -r); do
      grep -qxF "$file" "$STATE_DIR/outbox-seen" 2>/dev/null && continue
      [ "$(json_get "$file" to)" = "$EMAIL" ] || continue
      printf '%s\n' "$file" >> "$STATE_DIR/outbox-seen"
      token="$(json_get "$file" text | grep -o '#token=[A-Za-z0-9_-]*' | head -n 1 | cut -d= -f2)"
      [ -n "$token" ] && { printf '%s' "$token"; return 0; }
    done
    sleep 0.1
  done
  die "no $kind message to $EMAIL in $OUTBOX_DIR (is the server running without SMTP_URL, writing there?)"
}

# Changing the address needs a recent login (RFC 9470 step-up): log in now.
call 200 POST /auth/login noauth "$(json_object username "$USERNAME" password "$PASSWORD")"
save_tokens
call 202 POST /auth/email auth "$(json_object email "$EMAIL")"
call 200 POST /auth/email/verify noauth "$(json_object token "$(outbox_token email_verification)")"
echo "confirmed: $(json_get "$RESPONSE_BODY" email) (email_verified: $(json_get "$RESPONSE_BODY" email_verified))"

# The same 202 for any address; only a verified one gets a link.
call 202 POST /auth/password-reset/request noauth "$(json_object email "$EMAIL")"
call 204 POST /auth/password-reset noauth "$(json_object token "$(outbox_token password_reset)" new_password "$NEW_PASSWORD")"
call 401 GET /protected auth
echo 'the reset ended every session: the old access token is refused'
call 200 POST /auth/login noauth "$(json_object username "$USERNAME" password "$NEW_PASSWORD")"
save_tokens
printf '%s' "$NEW_PASSWORD" > "$STATE_DIR/password"
echo "logged in with the new password; tokens saved to $STATE_DIR/tokens.json"
