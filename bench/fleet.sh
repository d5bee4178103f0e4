#!/usr/bin/env bash
# The registry page and decision throughput on one SQLite process, one PostgreSQL replica and three PostgreSQL
# replicas: the same release binary, the same data, the same load, the same machine.
#
#   bash bench/fleet.sh [VERSIONS]     default 1000 versions to decide
#
# Each setup starts on a fresh database with the demo data (PostgreSQL: a throwaway server from
# scripts/postgres.sh with its default durability, fsync on), registers VERSIONS versions through the API and
# reads each one's evidence digest from its page. Then:
#   - the registry page as dana, wrk with 8 connections for 10 s (three replicas: one wrk per replica at once,
#     3 connections each, req/s summed);
#   - decision throughput: dana's Dev approvals of the VERSIONS versions, 8 at a time, spread round-robin across
#     the replicas; decisions/s from the first to the last answer.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
VERSIONS="${1:-1000}"
need_wrk
setup_and_build
bench_workspace
SITE="$CARGO_TARGET_DIR/site"

PG_URL=""
start_postgres() {
  PG_URL="$(PG_DURABLE=1 bash scripts/postgres.sh start "$WORK/pg" "" $$ | tail -n 1)"
}
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; bash scripts/postgres.sh stop "$WORK/pg" 2>/dev/null || true; rm -rf "$WORK"' EXIT

# prepare BASE: registers VERSIONS versions and writes "id digest" lines to $WORK/todo.
prepare() {
  python3 - "$1" "$BENCH_TOKEN" "$VERSIONS" "$2" >"$WORK/todo" <<'PY'
import http.client, json, re, sys, threading, urllib.parse
base, token, n, cookie = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
u = urllib.parse.urlparse(base)
out, lock = [], threading.Lock()
def worker(k):
    conn = http.client.HTTPConnection(u.hostname, u.port)
    for i in range(k, n, 4):
        body = json.dumps({"model_group": "fleet-model", "artifact_uri": f"s3://bench/{i}/model.tar.gz",
                           "container_image": "bench:1", "metrics": {"auc": 0.8}})
        conn.request("POST", "/api/v1/projects/credit-risk/versions", body,
                     {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        r = conn.getresponse(); v = json.loads(r.read())
        conn.request("GET", f"/versions/{v['id']}", headers={"Cookie": cookie})
        r = conn.getresponse(); page = r.read().decode()
        digest = re.search(r'name="evidence_digest" value="([^"]+)"', page).group(1)
        with lock:
            out.append(f"{v['id']} {digest}")
threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
[t.start() for t in threads]; [t.join() for t in threads]
print("\n".join(out))
PY
}

# decide COOKIE BASES...: Dev-approves every version of $WORK/todo, 8 at a time, round-robin over BASES; prints
# decisions per second.
decide() {
  local cookie="$1"; shift
  python3 - "$cookie" "$WORK/todo" "$@" <<'PY'
import http.client, sys, threading, time, urllib.parse
cookie, todo, bases = sys.argv[1], sys.argv[2], sys.argv[3:]
jobs = [l.split() for l in open(todo) if l.strip()]
hosts = [urllib.parse.urlparse(b) for b in bases]
lock, failed, nxt = threading.Lock(), [], [0]
def worker(k):
    conns = [http.client.HTTPConnection(h.hostname, h.port) for h in hosts]
    while True:
        with lock:
            if nxt[0] >= len(jobs): return
            i = nxt[0]; nxt[0] += 1
        vid, digest = jobs[i]
        conn = conns[i % len(conns)]
        body = f"version={vid}&stage=Dev&verdict=Approve&justification=Beats+the+baseline.&evidence_digest={digest}"
        conn.request("POST", "/fn/decide", body, {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
        r = conn.getresponse(); r.read()
        if r.status >= 300: failed.append(f"{vid}: {r.status}")
start = time.time()
threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
[t.start() for t in threads]; [t.join() for t in threads]
took = time.time() - start
if failed: sys.exit(f"{len(failed)} decisions refused, e.g. {failed[0]}")
print(f"{len(jobs) / took:.0f}")
PY
}

# page_rps COOKIE BASES...: the registry page under 8 connections in all, summed over one wrk per base.
page_rps() {
  local cookie="$1"; shift
  local conns=$((8 / $#)); [ "$conns" -ge 1 ] || conns=1
  local pids=() i=0
  for base in "$@"; do
    wrk -t1 -c"$conns" -d"${WRK_SECONDS:-10}"s -H "Cookie: $cookie" -H "Connection: close" "$base/" \
      >"$WORK/wrk-$i.txt" 2>&1 &
    pids+=("$!"); i=$((i + 1))
  done
  wait "${pids[@]}"
  cat "$WORK"/wrk-*.txt | awk '/Requests\/sec/ {sum += $2} END {printf "%.0f", sum}'
  rm -f "$WORK"/wrk-*.txt
}

run_setup() {
  local name="$1" replicas="$2" database="$3"
  local bases=() i
  for ((i = 0; i < replicas; i++)); do
    mkdir -p "$WORK/$name-$i"
    if [ -n "$database" ]; then
      start_portal "$WORK/$name-$i" "$SITE" PORTAL_DATABASE_URL="$database"
    else
      start_portal "$WORK/$name-$i" "$SITE"
    fi
    PIDS+=("$PORTAL_PID"); bases+=("$PORTAL_BASE")
  done
  local cookie; cookie="$(sign_in "${bases[0]}" dana)"
  prepare "${bases[0]}" "$cookie"
  wait_drained "${bases[0]}"
  local page; page="$(page_rps "$cookie" "${bases[@]}")"
  local decisions; decisions="$(decide "$cookie" "${bases[@]}")"
  printf '%-34s %10s req/s %10s decisions/s\n' "$name" "$page" "$decisions" | tee -a "$RESULTS"
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  PIDS=()
}

echo "==> $VERSIONS decisions and the registry page on each setup"
run_setup "SQLite, one process" 1 ""
start_postgres
run_setup "PostgreSQL, one replica" 1 "${PG_URL%/postgres}/postgres"
psql "$PG_URL" -qc "CREATE DATABASE fleet3" >/dev/null
run_setup "PostgreSQL, three replicas" 3 "${PG_URL%/postgres}/fleet3"
echo
cat "$RESULTS"
