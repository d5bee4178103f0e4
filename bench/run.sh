#!/usr/bin/env bash
# Page and API latency/throughput of the release build at a realistic registry size, and the server's memory.
#
#   bash bench/run.sh [VERSIONS]      default 10000 extra registered versions (on top of the demo data)
#
# The version page is measured on a version with a 1,000-case test run and 20,000 monitoring points (4 series
# of 5,000 over the last 7 days), the registry page at VERSIONS versions; each page also with one connection
# (wrk -c1) for its unloaded server time. Last, the release wasm bundle's size, raw and brotli-compressed.
#
# Needs python3 (wrk is installed from Debian when missing). Runs the set-up and `scripts/site.sh --release`,
# starts the server on a free port with a fresh data directory, registers VERSIONS versions through the API,
# waits for their events' delivery, then drives each endpoint with wrk (2 threads, 8 connections, 10 s) and
# prints requests/s and latency percentiles (bench/lib.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
VERSIONS="${1:-10000}"
need_wrk
setup_and_build
bench_workspace

mkdir -p "$WORK/data"
start_portal "$WORK/data" target/site
PIDS+=("$PORTAL_PID")
BASE="$PORTAL_BASE"
TOKEN="$BENCH_TOKEN"

echo "==> registering $VERSIONS versions through the API"
start=$SECONDS
seed_portal "$BASE" "$VERSIONS" 40
wait_drained "$BASE"
echo "    $VERSIONS registrations (and their events' delivery) in $((SECONDS - start)) s"

COOKIE="$(sign_in "$BASE" gina)"
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

echo "==> wrk, 2 threads x 8 connections x 10 s each"
wrk_line "GET /api/v1/versions (50 of $VERSIONS+)" -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/versions?project=credit-risk&limit=50"
wrk_line "GET /api/v1/versions/{id}" -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/versions/$VERSION"
wrk_line "page / (registry, 20 rows + groups)" -H "Cookie: $COOKIE" -H "Accept: text/html" "$BASE/"
wrk_line "page /?search=bench-model-7" -H "Cookie: $COOKIE" -H "Accept: text/html" "$BASE/?search=bench-model-7"
wrk_line "page /versions/{id}" -H "Cookie: $COOKIE" -H "Accept: text/html" "$BASE/versions/$VERSION"
wrk_line "page /inbox" -H "Cookie: $COOKIE" -H "Accept: text/html" "$BASE/inbox"

# One connection at a time: the server time of a single page, what a person waits for.
echo "==> one connection, 10 s each"
wrk_one "page / (registry at $VERSIONS+ versions)" -H "Cookie: $COOKIE" -H "Accept: text/html" "$BASE/"
wrk_one "page /versions/{id} (1,000 cases, 20,000 pts)" -H "Cookie: $COOKIE" -H "Accept: text/html" "$BASE/versions/$VERSION"
echo "    version page size: $(curl -s -H "Cookie: $COOKIE" -H 'Accept: text/html' "$BASE/versions/$VERSION" | wc -c) bytes of HTML"
echo "==> server memory: $(rss_mib "$PORTAL_PID") MiB RSS"
WASM="$(ls target/site/pkg/*.wasm | head -1)"
node -e '
const fs = require("fs"), zlib = require("zlib");
const raw = fs.readFileSync(process.argv[1]);
const br = zlib.brotliCompressSync(raw, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } });
console.log(`==> release wasm ${process.argv[1]}: ${(raw.length / 1024).toFixed(0)} KiB raw, ${(br.length / 1024).toFixed(0)} KiB brotli (quality 11)`);
' "$WASM"
