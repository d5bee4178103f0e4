#!/usr/bin/env bash
# Page and API latency/throughput of the release build at a realistic registry size, and the server's memory.
#
#   bash bench/run.sh [VERSIONS]      default 10000 extra registered versions (on top of the demo data)
#
# The version page is measured on a version with a 1,000-case test run and 20,000 monitoring points (4 series
# of 5,000 over the last 7 days), the registry page at VERSIONS versions; each page also with one connection
# (wrk -c1) for its unloaded server time. Last, the release wasm bundle's size, raw and brotli-compressed.
#
# Needs wrk (apt-get install wrk) and python3. Builds `cargo leptos build --release`, starts the server on
# 127.0.0.1:3100 with a fresh data directory, registers VERSIONS versions through the API, then drives each
# endpoint with wrk (2 threads, 8 connections, 10 s) and prints requests/s and latency percentiles.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
VERSIONS="${1:-10000}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/governance-portal/target}"
command -v wrk >/dev/null || { echo "bench: wrk is needed (apt-get install wrk)" >&2; exit 1; }

# The set-up first (idempotent): cargo-leptos, wasm-bindgen, Tailwind and npm's wasm-opt, so a fresh clone does
# not fall back to downloading tools at build time.
echo "==> set-up (scripts/setup.sh)"
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"

echo "==> building the release binary and site (cargo leptos build --release)"
cargo leptos build --release >/dev/null 2>&1 || cargo leptos build --release

DATA="$(mktemp -d)"
ADDR=127.0.0.1:3100
BASE="http://$ADDR"
TOKEN=bench-token
PORTAL_ADDR=$ADDR PORTAL_DATA_DIR="$DATA" PORTAL_PROJECT_TOKENS="{credit-risk=\"$TOKEN\"}" \
  LEPTOS_SITE_ROOT=target/site RUST_LOG=warn "$CARGO_TARGET_DIR/release/portal" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$DATA"' EXIT
until curl -fs "$BASE/readyz" >/dev/null 2>&1; do sleep 0.2; done

echo "==> registering $VERSIONS versions through the API"
start=$SECONDS
python3 - "$BASE" "$TOKEN" "$VERSIONS" <<'PY'
import http.client, json, sys, urllib.parse
base, token, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
u = urllib.parse.urlparse(base)
conn = http.client.HTTPConnection(u.hostname, u.port)
for i in range(n):
    body = json.dumps({
        "model_group": f"bench-model-{i % 40}",
        "description": f"bench version {i}",
        "artifact_uri": f"s3://bench/{i}/model.tar.gz",
        "container_image": "bench:1",
        "metrics": {"auc": 0.7 + (i % 30) / 100},
    })
    conn.request("POST", "/api/v1/projects/credit-risk/versions", body,
                 {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    r = conn.getresponse(); r.read()
    if r.status != 201:
        sys.exit(f"registration {i} answered {r.status}")
PY
echo "    $VERSIONS registrations in $((SECONDS - start)) s"

COOKIE="$(curl -s -D - -o /dev/null -X POST -d subject=gina "$BASE/fn/sign_in" | awk -F'[ ;]' 'tolower($1)=="set-cookie:" {print $2}')"
VERSION="$(curl -s -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/versions?project=credit-risk&registry=central&stage=Test&limit=1" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')"

echo "==> a version with a 1,000-case test run and 20,000 monitoring points"
python3 - "$BASE" "$TOKEN" "$VERSION" <<'PY'
import http.client, json, sys, urllib.parse, datetime
base, token, version = sys.argv[1], sys.argv[2], sys.argv[3]
u = urllib.parse.urlparse(base)
conn = http.client.HTTPConnection(u.hostname, u.port)
def post(path, body):
    conn.request("POST", path, json.dumps(body), {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    r = conn.getresponse(); text = r.read()
    if r.status not in (200, 201, 204):
        sys.exit(f"POST {path} answered {r.status}: {text[:300]}")
cases = []
for i in range(1000):
    body = "" if i % 50 else f'<failure message="expected 200, got 500">case {i} failed</failure>'
    cases.append(f'<testcase classname="integration.suite{i % 10}" name="case_{i}" time="0.{i % 9 + 1}">{body}</testcase>')
xml = '<testsuite name="integration" tests="1000">' + "".join(cases) + "</testsuite>"
post(f"/api/v1/versions/{version}/test-runs", {"junit_xml": xml, "performance": {"latency_p99_ms": 180.0}})
now = datetime.datetime.now(datetime.timezone.utc)
for metric, threshold in [("ModelLatency p99 (ms)", 300.0), ("Invocation5XXErrors", 5.0)]:
    for variant in ["champion", "challenger"]:
        points = [{"at": (now - datetime.timedelta(minutes=2 * (5000 - i))).isoformat(),
                   "value": (150 + (i % 97)) if metric.startswith("Model") else (i % 7) * 1.0} for i in range(5000)]
        post(f"/api/v1/versions/{version}/monitoring",
             {"metric": metric, "endpoint": "bench-endpoint", "variant": variant, "threshold": threshold, "points": points})
PY

run() {
  local name="$1"; shift
  local out
  out="$(wrk -t2 -c8 -d10s --latency "$@" 2>&1)"
  local rps p50 p99
  rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
  p50="$(awk '$1=="50%" {print $2}' <<<"$out")"
  p99="$(awk '$1=="99%" {print $2}' <<<"$out")"
  local non2xx
  non2xx="$(awk '/Non-2xx/ {print $4}' <<<"$out")"
  printf '%-44s %10s req/s   p50 %8s   p99 %8s   %s\n' "$name" "$rps" "$p50" "$p99" "${non2xx:+non-2xx: $non2xx}"
}

echo "==> wrk, 2 threads x 8 connections x 10 s each"
run "GET /api/v1/versions (50 of $VERSIONS+)" -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/versions?project=credit-risk&limit=50"
run "GET /api/v1/versions/{id}" -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/versions/$VERSION"
run "page / (registry, 20 rows + groups)" -H "Cookie: $COOKIE" -H "Accept: text/html" "$BASE/"
run "page /?search=bench-model-7" -H "Cookie: $COOKIE" -H "Accept: text/html" "$BASE/?search=bench-model-7"
run "page /versions/{id}" -H "Cookie: $COOKIE" -H "Accept: text/html" "$BASE/versions/$VERSION"
run "page /inbox" -H "Cookie: $COOKIE" -H "Accept: text/html" "$BASE/inbox"

# One connection at a time: the server time of a single page, what a person waits for.
one() {
  local name="$1"; shift
  local out
  out="$(wrk -t1 -c1 -d10s --latency "$@" 2>&1)"
  printf '%-44s p50 %8s   p90 %8s   p99 %8s\n' "$name" "$(awk '$1=="50%" {print $2}' <<<"$out")" \
    "$(awk '$1=="90%" {print $2}' <<<"$out")" "$(awk '$1=="99%" {print $2}' <<<"$out")"
}
echo "==> one connection, 10 s each"
one "page / (registry at $VERSIONS+ versions)" -H "Cookie: $COOKIE" -H "Accept: text/html" "$BASE/"
one "page /versions/{id} (1,000 cases, 20,000 pts)" -H "Cookie: $COOKIE" -H "Accept: text/html" "$BASE/versions/$VERSION"
echo "    version page size: $(curl -s -H "Cookie: $COOKIE" -H 'Accept: text/html' "$BASE/versions/$VERSION" | wc -c) bytes of HTML"
echo "==> server memory: $(ps -o rss= -p $SERVER | awk '{printf "%.1f MiB RSS", $1/1024}')"
WASM="$(ls target/site/pkg/*.wasm | head -1)"
node -e '
const fs = require("fs"), zlib = require("zlib");
const raw = fs.readFileSync(process.argv[1]);
const br = zlib.brotliCompressSync(raw, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } });
console.log(`==> release wasm ${process.argv[1]}: ${(raw.length / 1024).toFixed(0)} KiB raw, ${(br.length / 1024).toFixed(0)} KiB brotli (quality 11)`);
' "$WASM"
