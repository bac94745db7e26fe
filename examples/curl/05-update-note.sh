#!/usr/bin/env bash
# Changes the title of the note 03-create-note.sh made (NOTE_ID and TITLE may be set).
set -euo pipefail
source "$(dirname "$0")/_lib.sh"

NOTE_ID="${NOTE_ID:-$(state note_id)}"
TITLE="${TITLE:-Groceries (weekend)}"

call 200 PATCH "/notes/$NOTE_ID" auth "$(json_object title "$TITLE")"
pretty "$RESPONSE_BODY"
[ "$(json_get "$RESPONSE_BODY" title)" = "$TITLE" ] || die 'the title did not change'

# Read-only fields are refused, never applied (400 problem with errors[]).
call 400 PATCH "/notes/$NOTE_ID" auth "$(json_object title x created_at 2000-01-01T00:00:00.000Z)"
echo "read-only field refused: $(json_get "$RESPONSE_BODY" detail)"
