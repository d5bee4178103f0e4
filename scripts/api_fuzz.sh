#!/usr/bin/env bash
# Schemathesis against the portal's own OpenAPI document (/api/v1/openapi.json): starts the built portal on a
# free port with a data directory of its own (demo data, a development CI token), generates a bounded number
# of requests per operation (-n, default 20: about 650 requests, a few seconds) and fails on any server error,
# an undocumented status or content type, a response that breaks its schema, or invalid data accepted.
#
#   bash scripts/api_fuzz.sh PORTAL_BINARY
#
# Every check runs (schemathesis's default), positive_data_acceptance included (a schema-valid request must be accepted): the document
# states the API's validation (lengths, patterns, control characters, enums). scripts/schemathesis.toml lists
# the one exception and why.
set -euo pipefail
BIN="${1:?usage: api_fuzz.sh PORTAL_BINARY}"
CONFIG="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/schemathesis.toml"
VENV="${SCHEMATHESIS_VENV:-$HOME/.cache/governance-portal/venv-schemathesis}"
EXAMPLES="${API_FUZZ_EXAMPLES:-20}"
[ -x "$VENV/bin/schemathesis" ] || { echo "api_fuzz.sh: no schemathesis in $VENV (run scripts/setup.sh --tests)" >&2; exit 1; }

DIR="$(mktemp -d)"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
TOKEN="fuzz-token-credit-risk"
cat >"$DIR/portal.toml" <<TOML
addr = "127.0.0.1:$PORT"
data_dir = "$DIR/data"
mode = "development"
demo_data = true

[project_tokens]
credit-risk = "$TOKEN"
TOML
PORTAL_CONFIG="$DIR/portal.toml" "$BIN" >"$DIR/portal.log" 2>&1 &
PID=$!
cleanup() {
  kill "$PID" 2>/dev/null || true
  wait "$PID" 2>/dev/null || true
  rm -rf "$DIR"
}
trap cleanup EXIT
for _ in $(seq 1 120); do
  if curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1; then break; fi
  kill -0 "$PID" 2>/dev/null || { echo "api_fuzz.sh: the portal exited:" >&2; tail -20 "$DIR/portal.log" >&2; exit 1; }
  sleep 0.25
done
cd "$DIR"
"$VENV/bin/schemathesis" --config-file "$CONFIG" run "http://127.0.0.1:$PORT/api/v1/openapi.json" \
  -n "$EXAMPLES" --generation-deterministic --request-timeout 10 \
  -H "Authorization: Bearer $TOKEN" || {
  status=$?
  echo "api_fuzz.sh: the portal's errors and warnings during the run:" >&2
  grep -E "ERROR|WARN" "$DIR/portal.log" | tail -n 20 >&2 || true
  exit "$status"
}
