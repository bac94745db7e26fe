#!/usr/bin/env bash
# Runs every example in order against BASE_URL (default http://127.0.0.1:3000), in a fresh
# private state directory unless STATE_DIR is set. Stops at the first unexpected status.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

if [ -z "${STATE_DIR:-}" ]; then
  STATE_DIR="$(mktemp -d "${TMPDIR:-/tmp}/secure-api-curl.XXXXXX")"
  trap 'rm -rf "$STATE_DIR"' EXIT
fi
export STATE_DIR

for script in "$here"/[0-9][0-9]-*.sh; do
  echo "== $(basename "$script")"
  bash "$script"
done
echo '== all examples passed'
