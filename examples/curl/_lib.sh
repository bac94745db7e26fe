# Shared by the numbered scripts: sourced, never run. Needs bash, curl, and jq or node for JSON.
# Secrets never go on a command line (other local users can read those): bodies are piped on
# stdin, the bearer token is read by curl from a header file, and the state directory is
# private (umask 077).

BASE_URL="${BASE_URL:-http://127.0.0.1:3000}"
BASE_URL="${BASE_URL%/}"
STATE_DIR="${STATE_DIR:-${TMPDIR:-/tmp}/secure-api-curl}"
umask 077
mkdir -p "$STATE_DIR"

RESPONSE_BODY="$STATE_DIR/last-response.json"
RESPONSE_HEADERS="$STATE_DIR/last-response.headers"
AUTH_HEADER_FILE="$STATE_DIR/auth.header"

die () {
  printf 'FAILED: %s\n' "$*" >&2
  exit 1
}

command -v curl >/dev/null 2>&1 || die 'curl is required'
# jq when installed (it starts in milliseconds), else node; JSON_TOOL=node|jq forces one.
if [ -z "${JSON_TOOL:-}" ]; then
  if command -v jq >/dev/null 2>&1; then JSON_TOOL=jq
  elif command -v node >/dev/null 2>&1; then JSON_TOOL=node
  else die 'jq or node is required to read JSON'
  fi
fi
case "$JSON_TOOL" in
  jq|node) command -v "$JSON_TOOL" >/dev/null 2>&1 || die "JSON_TOOL=$JSON_TOOL is not installed" ;;
  *) die "JSON_TOOL must be jq or node, not '$JSON_TOOL'" ;;
esac

# json_get FILE FIELD: prints one top-level field of a JSON file ('' for null or missing).
json_get () {
  if [ "$JSON_TOOL" = node ]; then
    node -e '
      const value = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))[process.argv[2]]
      process.stdout.write(value === undefined || value === null ? "" : typeof value === "string" ? value : JSON.stringify(value))
    ' "$1" "$2"
  else
    jq -j --arg field "$2" '.[$field] // "" | if type == "string" then . else tojson end' "$1"
  fi
}

# json_length FILE FIELD: the number of items in an array field.
json_length () {
  if [ "$JSON_TOOL" = node ]; then
    node -e 'process.stdout.write(String(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))[process.argv[2]].length))' "$1" "$2"
  else
    jq -j --arg field "$2" '.[$field] | length' "$1"
  fi
}

# json_object KEY VALUE [KEY VALUE ...]: prints a JSON object of string values, escaped properly.
json_object () {
  if [ "$JSON_TOOL" = node ]; then
    node -e '
      const args = process.argv.slice(1), out = {}
      for (let i = 0; i < args.length; i += 2) out[args[i]] = args[i + 1]
      process.stdout.write(JSON.stringify(out))
    ' "$@"
  else
    local filter='{}' args=() i=0
    while [ "$#" -gt 0 ]; do
      args+=(--arg "k$i" "$1" --arg "v$i" "$2")
      filter="$filter + {(\$k$i): \$v$i}"
      shift 2; i=$((i + 1))
    done
    jq -cnj "${args[@]}" "$filter"
  fi
}

# pretty FILE: the response body, indented, for people reading along.
pretty () {
  if [ ! -s "$1" ]; then echo '(no body)'; return; fi
  if [ "$JSON_TOOL" = node ]; then
    node -e 'console.log(JSON.stringify(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")), null, 2))' "$1"
  else
    jq . "$1"
  fi
}

# call EXPECTED METHOD PATH [auth|noauth] [JSON BODY]
# Sends the request, keeps the body in $RESPONSE_BODY, and stops the script with the server's
# problem document when the status is not EXPECTED. The body goes to curl on stdin (printf is
# a shell builtin), so passwords and refresh tokens never appear in a process listing.
call () {
  local expected="$1" method="$2" path="$3" auth="${4:-noauth}" status
  local args=(--silent --show-error --max-time 30 --request "$method" --output "$RESPONSE_BODY"
    --dump-header "$RESPONSE_HEADERS" --write-out '%{http_code}' --header 'accept: application/json')
  if [ "$auth" = auth ]; then
    [ -s "$AUTH_HEADER_FILE" ] || die "no access token in $AUTH_HEADER_FILE: run 01-login.sh first"
    args+=(--header "@$AUTH_HEADER_FILE")
  fi
  if [ "$#" -ge 5 ]; then
    args+=(--header 'content-type: application/json' --data-binary @-)
    status="$(printf '%s' "$5" | curl "${args[@]}" "$BASE_URL$path")" || die "$method $path: could not reach $BASE_URL"
  else
    status="$(curl "${args[@]}" "$BASE_URL$path" </dev/null)" || die "$method $path: could not reach $BASE_URL"
  fi
  if [ "$status" != "$expected" ]; then
    printf 'FAILED: %s %s answered %s, expected %s\n' "$method" "$path" "$status" "$expected" >&2
    pretty "$RESPONSE_BODY" >&2 || cat "$RESPONSE_BODY" >&2
    exit 1
  fi
  printf '%s %s -> %s\n' "$method" "$path" "$status"
}

# response_header NAME: one header of the last response, e.g. location.
response_header () {
  grep -i "^$1:" "$RESPONSE_HEADERS" | head -n 1 | cut -d ' ' -f 2- | tr -d '\r'
}

# save_tokens: keeps the last TokenResponse and writes the bearer header file from it.
save_tokens () {
  cp "$RESPONSE_BODY" "$STATE_DIR/tokens.json"
  local access
  access="$(json_get "$STATE_DIR/tokens.json" access_token)"
  [ -n "$access" ] || die 'the token response had no access_token'
  printf 'Authorization: Bearer %s\n' "$access" > "$AUTH_HEADER_FILE"
}

# state NAME: a value an earlier script saved, or a clear error.
state () {
  [ -s "$STATE_DIR/$1" ] || die "missing $STATE_DIR/$1: run the earlier scripts first (or run-all.sh)"
  cat "$STATE_DIR/$1"
}
