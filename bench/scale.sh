#!/usr/bin/env bash
# The embedded store at scale, beside MLflow: the same versions in both, the same load, the same machine.
#
#   bash bench/scale.sh [SIZES...]      default: 10000 100000
#
# For each size, the release portal on a fresh database gets SIZE versions in 40 model groups through its API,
# then MLflow 3.x (the venv the set-up makes; SQLite backend, its default server) gets the same SIZE versions
# in 40 registered models (bulk-loaded into its database: its REST API would take hours at 100,000). Each
# endpoint is driven by wrk (2 threads, 8 connections, 10 s, `Connection: close`, as the issue measured), one
# server at a time. A static file of the registry page's size, served by the same portal process, gives the
# ceiling a page can reach. The portal's endpoints run twice: with the read cache (the default: wrk repeats
# one request, so that run measures answers from memory) and again on the same data with the cache off
# (PORTAL_READ_CACHE_MIB=0: what a request costs that nobody asked just before). Last, for each, a table of the targets: the registry page and the API list >= 50x MLflow's
# model-versions/search, filtered lists and search >= 20x MLflow's exact-name filter, the registry page >= 30%
# of the static file, every portal figure at the largest size within 1.5x of the smallest's, RSS <= 80 MiB.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
if [ $# -gt 0 ]; then SIZES=("$@"); else SIZES=(10000 100000); fi
MLFLOW_VENV="${MLFLOW_VENV:-$HOME/.cache/governance-portal/venv-mlflow}"
GROUPS_N=40
need_wrk
setup_and_build

bench_workspace
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$RESULTS"; }  # size server what req/s
CLOSE=(-H "Connection: close")

# drive_portal SIZE LABEL: every portal endpoint under wrk, recorded as server LABEL, then the server's RSS.
drive_portal() {
  local N="$1" label="$2"
  COOKIE="$(sign_in "$PORTAL_BASE" gina)"
  PAGE=(-H "Cookie: $COOKIE" -H "Accept: text/html")
  API=(-H "Authorization: Bearer $BENCH_TOKEN")
  page_bytes="$(curl -s "${PAGE[@]}" "$PORTAL_BASE/" | wc -c)"
  python3 -c 'import sys; n = int(sys.argv[1]); open(sys.argv[2], "w").write(("x" * 119 + "\n") * (n // 120) + "x" * (n % 120))' \
    "$page_bytes" "$SITE/bench-static.html"
  echo "    the registry page is $page_bytes bytes; a static file of that size is served beside it"
  echo "    read cache: $(curl -s -o /dev/null -D - "${PAGE[@]}" "$PORTAL_BASE/" | awk -F': ' 'tolower($1)=="x-portal-read-cache" {print $2}' | tr -d '\r' || true) on a second request (empty: off)"
  wrk_line "portal GET /api/v1/versions (50 of $N)" "${CLOSE[@]}" "${API[@]}" \
    "$PORTAL_BASE/api/v1/versions?project=credit-risk&limit=50"
  record "$N" "$label" api_list "$WRK_RPS"
  wrk_line "portal page / (registry)" "${CLOSE[@]}" "${PAGE[@]}" "$PORTAL_BASE/"
  record "$N" "$label" registry_page "$WRK_RPS"
  wrk_line "portal static file of the page's size" "${CLOSE[@]}" "$PORTAL_BASE/bench-static.html"
  record "$N" "$label" static "$WRK_RPS"
  wrk_line "portal GET /api/v1/versions?model_group=bench-model-7" "${CLOSE[@]}" "${API[@]}" \
    "$PORTAL_BASE/api/v1/versions?project=credit-risk&model_group=bench-model-7&limit=50"
  record "$N" "$label" api_group "$WRK_RPS"
  wrk_line "portal GET /api/v1/versions?search=version 77" "${CLOSE[@]}" "${API[@]}" \
    "$PORTAL_BASE/api/v1/versions?project=credit-risk&search=version%2077&limit=50"
  record "$N" "$label" api_search "$WRK_RPS"
  wrk_line "portal page /?search=bench-model-7" "${CLOSE[@]}" "${PAGE[@]}" "$PORTAL_BASE/?search=bench-model-7"
  record "$N" "$label" page_search "$WRK_RPS"
  wrk_line "portal page /?group=bench-model-7" "${CLOSE[@]}" "${PAGE[@]}" "$PORTAL_BASE/?group=bench-model-7"
  record "$N" "$label" page_group "$WRK_RPS"
  wrk_line "portal GET /api/v1/model-groups" "${CLOSE[@]}" "${API[@]}" \
    "$PORTAL_BASE/api/v1/model-groups?project=credit-risk&limit=50"
  record "$N" "$label" model_list "$WRK_RPS"
  rss="$(rss_mib "$PORTAL_PID")"
  echo "    server memory after the runs: $rss MiB RSS"
  record "$N" "$label" rss_mib "$rss"
}

for N in "${SIZES[@]}"; do
  echo
  echo "==> $N versions: the portal (release, embedded SQLite)"
  DATA="$WORK/portal-$N"; SITE="$WORK/site-$N"
  mkdir -p "$DATA"; cp -r target/site "$SITE"
  start_portal "$DATA" "$SITE"
  PIDS+=("$PORTAL_PID")
  start=$SECONDS
  seed_portal "$PORTAL_BASE" "$N" "$GROUPS_N"
  echo "    $N registrations through the API in $((SECONDS - start)) s (4 connections)"
  wait_drained "$PORTAL_BASE"
  echo "    their events delivered after $((SECONDS - start)) s"
  drive_portal "$N" portal
  kill "$PORTAL_PID"; wait "$PORTAL_PID" 2>/dev/null || true
  echo "==> $N versions: the same portal and data with the read cache off (every answer made afresh)"
  start_portal "$DATA" "$SITE" PORTAL_READ_CACHE_MIB=0
  PIDS+=("$PORTAL_PID")
  drive_portal "$N" uncached
  kill "$PORTAL_PID"; wait "$PORTAL_PID" 2>/dev/null || true

  echo "==> $N versions: MLflow $("$MLFLOW_VENV/bin/mlflow" --version | awk '{print $3}') (SQLite backend)"
  DB="$WORK/mlflow-$N.db"
  "$MLFLOW_VENV/bin/mlflow" db upgrade "sqlite:///$DB" >/dev/null 2>&1
  "$MLFLOW_VENV/bin/python" - "$DB" "$N" "$GROUPS_N" <<'PY'
import sqlite3, sys, time
db, n, groups = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
c = sqlite3.connect(db)
now = int(time.time() * 1000)
c.executemany("INSERT INTO registered_models (name, creation_time, last_updated_time, description) VALUES (?, ?, ?, ?)",
              [(f"bench-model-{g}", now, now, f"bench model {g}") for g in range(groups)])
rows = []
for i in range(n):
    g = i % groups
    rows.append((f"bench-model-{g}", i // groups + 1, now + i, now + i, f"bench version {i}", "bench", "None",
                 f"s3://bench/{i}/model.tar.gz", None, "READY", None, None, f"s3://bench/{i}/model.tar.gz"))
c.executemany("""INSERT INTO model_versions (name, version, creation_time, last_updated_time, description, user_id,
                 current_stage, source, run_id, status, status_message, run_link, storage_location)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", rows)
c.commit()
PY
  MLPORT="$(free_port)"
  "$MLFLOW_VENV/bin/mlflow" server --backend-store-uri "sqlite:///$DB" --default-artifact-root "file://$WORK/art" \
    --host 127.0.0.1 --port "$MLPORT" >"$WORK/mlflow-$N.log" 2>&1 &
  MLPID=$!
  PIDS+=("$MLPID")
  ML="http://127.0.0.1:$MLPORT"
  until curl -fs "$ML/health" >/dev/null 2>&1; do
    kill -0 "$MLPID" 2>/dev/null || { echo "bench: MLflow did not start" >&2; tail -20 "$WORK/mlflow-$N.log" >&2; exit 1; }
    sleep 0.5
  done
  got="$(curl -s "$ML/api/2.0/mlflow/model-versions/search?filter=name%3D%27bench-model-7%27&max_results=5" \
    | python3 -c 'import json,sys; print(len(json.load(sys.stdin).get("model_versions", [])))')"
  [ "$got" = 5 ] || { echo "bench: MLflow answered $got versions for bench-model-7" >&2; exit 1; }
  wrk_line "MLflow model-versions/search (50 of $N)" "${CLOSE[@]}" \
    "$ML/api/2.0/mlflow/model-versions/search?max_results=50"
  record "$N" mlflow api_list "$WRK_RPS"
  wrk_line "MLflow model-versions/search name='bench-model-7'" "${CLOSE[@]}" \
    "$ML/api/2.0/mlflow/model-versions/search?filter=name%3D%27bench-model-7%27&max_results=50"
  record "$N" mlflow api_group "$WRK_RPS"
  wrk_line "MLflow registered-models/search" "${CLOSE[@]}" \
    "$ML/api/2.0/mlflow/registered-models/search?max_results=50"
  record "$N" mlflow model_list "$WRK_RPS"
  pkill -P "$MLPID" 2>/dev/null || true
  kill "$MLPID" 2>/dev/null || true; wait "$MLPID" 2>/dev/null || true
done

echo
python3 - "$RESULTS" <<'PY'
import sys, collections
r = collections.defaultdict(dict)
for line in open(sys.argv[1]):
    size, server, what, value = line.rstrip("\n").split("\t")
    r[(int(size), server)][what] = float(value)
sizes = sorted({s for s, _ in r})
def fig(size, server, what): return r[(size, server)].get(what)
def table(label, title):
    print(f"\n{title}\n")
    print("| target | " + " | ".join(f"{s:,}" for s in sizes) + " | target |")
    print("|---|" + "---|" * len(sizes) + "---|")
    rows = [
        ("registry page / MLflow model-versions/search", "registry_page", "api_list", 50),
        ("API list / MLflow model-versions/search", "api_list", "api_list", 50),
        ("API model_group filter / MLflow name filter", "api_group", "api_group", 20),
        ("API search / MLflow name filter", "api_search", "api_group", 20),
        ("page ?search= / MLflow name filter", "page_search", "api_group", 20),
        ("page ?group= / MLflow name filter", "page_group", "api_group", 20),
        ("model groups API / MLflow registered-models/search", "model_list", "model_list", 20),
    ]
    ok = True
    for name, ours, theirs, target in rows:
        cells = []
        for s in sizes:
            a, b = fig(s, label, ours), fig(s, "mlflow", theirs)
            if a and not b:
                # MLflow completed no request within wrk's run (every one timed out): no finite multiple.
                cells.append(f"MLflow answered none ({a:,.0f} req/s)")
                continue
            x = a / b if a and b else 0
            ok &= x >= target
            cells.append(f"{x:.1f}x ({a:,.0f} / {b:,.2f} req/s)")
        print(f"| {name} | " + " | ".join(cells) + f" | >= {target}x |")
    cells = []
    for s in sizes:
        x = fig(s, label, "registry_page") / fig(s, label, "static")
        ok &= x >= 0.30
        cells.append(f"{x:.0%} ({fig(s, label, 'static'):,.0f} req/s static)")
    print("| registry page / static file of its size | " + " | ".join(cells) + " | >= 30% |")
    cells = [f"{fig(s, label, 'rss_mib'):.1f} MiB" for s in sizes]
    ok &= fig(sizes[-1], label, "rss_mib") <= 80
    print("| server RSS after the runs | " + " | ".join(cells) + " | <= 80 MiB at the largest |")
    if len(sizes) > 1:
        lo, hi = sizes[0], sizes[-1]
        print(f"\nportal req/s at {hi:,} against {lo:,} (target: no figure more than 1.5x slower)")
        for what in ["api_list", "registry_page", "api_group", "api_search", "page_search", "page_group", "model_list"]:
            a, b = fig(lo, label, what), fig(hi, label, what)
            slower = a / b
            ok &= slower <= 1.5
            print(f"  {what:14} {a:10,.0f} -> {b:10,.0f} req/s   {slower:.2f}x slower")
    print("\nall targets met" if ok else "\nsome targets NOT met")
table("portal", "With the read cache (the default; wrk repeats one request, so these are its answers from memory)")
table("uncached", "With the read cache off (PORTAL_READ_CACHE_MIB=0: every answer made afresh)")

PY
