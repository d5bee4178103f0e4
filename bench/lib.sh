# Shared by the bench scripts: the set-up and release build, a portal on a fresh data directory, seeding
# through the API, and wrk runs reduced to one line each. Sourced, not run.

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/governance-portal/target}"
BENCH_TOKEN=bench-token

# wrk from Debian's package when it is missing (the benches need nothing else that the set-up does not make).
need_wrk() {
  command -v wrk >/dev/null && return
  echo "==> installing wrk (apt-get install wrk)"
  if [ "$(id -u)" = 0 ]; then apt-get install -y -qq wrk >/dev/null; else sudo apt-get install -y -qq wrk >/dev/null; fi
}

# The set-up first (idempotent: wasm-bindgen, Tailwind, npm's wasm-opt and esbuild, the MLflow and moto
# venvs), so a fresh clone does not fall back to downloading tools at build time; then the release build.
setup_and_build() {
  echo "==> set-up (scripts/setup.sh --tests)"
  bash scripts/setup.sh --tests
  export PATH="$HOME/.cargo/bin:$PATH"
  echo "==> building the release binary and site (scripts/site.sh --release)"
  bash scripts/site.sh --release >/dev/null 2>&1 || bash scripts/site.sh --release
}

# bench_workspace: a temporary directory WORK (with RESULTS, an empty results file) and PIDS, the processes
# started into it; on exit every one of them is stopped and WORK removed.
bench_workspace() {
  WORK="$(mktemp -d)"
  PIDS=()
  RESULTS="$WORK/results.tsv"
  : >"$RESULTS"
  trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"' EXIT
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_portal DATA_DIR SITE_ROOT [extra env...]: starts the release binary, waits for /readyz, sets PORTAL_PID
# and PORTAL_BASE.
start_portal() {
  local data="$1" site="$2"; shift 2
  local port; port="$(free_port)"
  PORTAL_BASE="http://127.0.0.1:$port"
  env PORTAL_ADDR="127.0.0.1:$port" PORTAL_DATA_DIR="$data" \
    PORTAL_PROJECT_TOKENS="{credit-risk=\"$BENCH_TOKEN\"}" LEPTOS_SITE_ROOT="$site" RUST_LOG=warn "$@" \
    "$CARGO_TARGET_DIR/release/portal" >"$data/portal.log" 2>&1 &
  PORTAL_PID=$!
  local waited=0
  until curl -fs "$PORTAL_BASE/readyz" >/dev/null 2>&1; do
    sleep 0.2; waited=$((waited + 1))
    if ! kill -0 "$PORTAL_PID" 2>/dev/null || [ "$waited" -gt 1500 ]; then
      echo "bench: the portal did not become ready; its log:" >&2; tail -30 "$data/portal.log" >&2; return 1
    fi
  done
}

# seed_portal BASE N GROUPS: registers N versions in GROUPS model groups through the API, over 4 connections.
seed_portal() {
  python3 - "$1" "$BENCH_TOKEN" "$2" "$3" <<'PY'
import http.client, json, sys, threading, urllib.parse
base, token, n, groups = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
u = urllib.parse.urlparse(base)
failed = []
def worker(start):
    conn = http.client.HTTPConnection(u.hostname, u.port)
    for i in range(start, n, 4):
        body = json.dumps({
            "model_group": f"bench-model-{i % groups}",
            "description": f"bench version {i}",
            "artifact_uri": f"s3://bench/{i}/model.tar.gz",
            "container_image": "bench:1",
            "metrics": {"auc": 0.7 + (i % 30) / 100},
        })
        conn.request("POST", "/api/v1/projects/credit-risk/versions", body,
                     {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        r = conn.getresponse(); r.read()
        if r.status != 201:
            failed.append(f"registration {i} answered {r.status}"); return
threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
[t.start() for t in threads]; [t.join() for t in threads]
if failed: sys.exit(failed[0])
PY
}

# wait_drained BASE: until no event waits for delivery (the in-process consumer takes every registration's
# event), read from /metrics, so the measurements do not share the cores with the dispatcher.
wait_drained() {
  local waited=0
  while curl -s "$1/metrics" | awk '/^portal_outbox_pending\{/ {sum += $2} END {exit !(sum > 0)}'; do
    sleep 1; waited=$((waited + 1))
    [ "$waited" -lt 900 ] || { echo "bench: the outbox did not drain in 15 minutes" >&2; return 1; }
  done
}

# A development sign-in's session cookie (name=value).
sign_in() {
  curl -s -D - -o /dev/null -X POST -d "subject=$2" "$1/fn/sign_in" | awk -F'[ ;]' 'tolower($1)=="set-cookie:" {print $2}'
}

# wrk_line NAME wrk-args...: 2 threads, 8 connections, 10 s; prints "NAME req/s p50 p99" and sets WRK_RPS.
wrk_line() {
  local name="$1"; shift
  local out; out="$(wrk -t2 -c8 -d"${WRK_SECONDS:-10}"s --latency "$@" 2>&1)"
  WRK_RPS="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
  local non2xx; non2xx="$(awk '/Non-2xx/ {print $4}' <<<"$out")"
  local errors; errors="$(awk '/Socket errors/ {print}' <<<"$out")"
  printf '%-52s %10s req/s   p50 %8s   p99 %8s   %s %s\n' "$name" "$WRK_RPS" \
    "$(awk '$1=="50%" {print $2}' <<<"$out")" "$(awk '$1=="99%" {print $2}' <<<"$out")" \
    "${non2xx:+non-2xx: $non2xx}" "$errors"
}

# wrk_one NAME wrk-args...: one connection, 10 s: the server time of a single request (p50 p90 p99).
wrk_one() {
  local name="$1"; shift
  local out; out="$(wrk -t1 -c1 -d"${WRK_SECONDS:-10}"s --latency "$@" 2>&1)"
  WRK_P50="$(awk '$1=="50%" {print $2}' <<<"$out")"
  printf '%-52s p50 %8s   p90 %8s   p99 %8s\n' "$name" "$WRK_P50" \
    "$(awk '$1=="90%" {print $2}' <<<"$out")" "$(awk '$1=="99%" {print $2}' <<<"$out")"
}

rss_mib() { ps -o rss= -p "$1" | awk '{printf "%.1f", $1/1024}'; }
