#!/usr/bin/env bash
# Creates a note (TITLE and BODY may be set) and saves its id from the Location header.
set -euo pipefail
source "$(dirname "$0")/_lib.sh"

TITLE="${TITLE:-Groceries}"
BODY="${BODY:-Milk, eggs, flour}"

call 201 POST /notes auth "$(json_object title "$TITLE" body "$BODY")"
pretty "$RESPONSE_BODY"
location="$(response_header location)"
id="$(json_get "$RESPONSE_BODY" id)"
[ "$location" = "/notes/$id" ] || die "Location header '$location' does not name the new note"
printf '%s' "$id" > "$STATE_DIR/note_id"
echo "note $id created at $location"
