#!/bin/sh
# Lints the committed OpenAPI document with .spectral.yaml (Spectral's OpenAPI rules plus the
# OWASP API Security Top 10 2023 ruleset, waivers listed there with their reasons).
# Exits non-zero on any error; warnings are shown but do not fail. Extra arguments go to Spectral.
set -eu
cd "$(dirname "$0")/.."
exec npx --no-install spectral lint openapi/openapi.json --ruleset .spectral.yaml --fail-severity error "$@"
