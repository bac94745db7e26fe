#!/usr/bin/env bash
# Deletes the note (NOTE_ID may be set) and shows that it is gone.
set -euo pipefail
source "$(dirname "$0")/_lib.sh"

NOTE_ID="${NOTE_ID:-$(state note_id)}"

call 204 DELETE "/notes/$NOTE_ID" auth
call 404 GET "/notes/$NOTE_ID" auth
echo "note $NOTE_ID deleted: $(json_get "$RESPONSE_BODY" detail)"
rm -f "$STATE_DIR/note_id"
