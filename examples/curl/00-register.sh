#!/usr/bin/env bash
# Creates an account. USERNAME and PASSWORD may be set; by default a fresh demo user is made.
# The password policy: 15..128 characters, not a common password, not containing the username.
set -euo pipefail
source "$(dirname "$0")/_lib.sh"

USERNAME="${USERNAME:-demo.$(date +%s).$RANDOM}"
PASSWORD="${PASSWORD:-correct-horse-battery-staple-$RANDOM$RANDOM}"

call 201 POST /auth/register noauth "$(json_object username "$USERNAME" password "$PASSWORD")"
pretty "$RESPONSE_BODY"
# Kept (privately, umask 077) so the next scripts can log in.
printf '%s' "$USERNAME" > "$STATE_DIR/username"
printf '%s' "$PASSWORD" > "$STATE_DIR/password"
json_get "$RESPONSE_BODY" id > "$STATE_DIR/user_id"
