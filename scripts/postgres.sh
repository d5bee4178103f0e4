#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests and benchmarks (Debian's postgresql package, installed by
# scripts/setup.sh): its own cluster in DIR, listening on 127.0.0.1:PORT only, trust authentication for
# the cluster's own user. Prints the URL of its `postgres` database on the last line.
#
#   scripts/postgres.sh start DIR [PORT] [WATCH_PID]   start it (a free port if PORT is empty or 0); when
#                                                      WATCH_PID is given, it stops by itself once that
#                                                      process is gone, however it ended
#   scripts/postgres.sh halt DIR                       stop it, keeping its files (start DIR PORT serves
#                                                      them again: an outage a test can end)
#   scripts/postgres.sh stop DIR                       stop it and remove its files
#
# The cluster's files live in /tmp/portal-postgres.XXXXXX (DIR/cluster points there): as root, the server runs
# as the postgres user, which may not be able to enter DIR's parents.
# PG_DURABLE=1 keeps PostgreSQL's default durability (fsync on): benchmarks. The tests run with fsync off,
# which loses nothing when a process is killed, only when the machine itself goes down.
set -euo pipefail

find_bin() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    if [ -x "$dir/initdb" ]; then echo "$dir"; return; fi
  done
  echo "PostgreSQL is not installed (Debian's postgresql package); run bash scripts/setup.sh --tests" >&2
  exit 1
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# initdb and postgres refuse to run as root: as root, the cluster belongs to the postgres user.
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cmd="${1:-}"
dir="${2:-}"
if [ -z "$cmd" ] || [ -z "$dir" ]; then
  sed -n '2,15p' "$0" >&2
  exit 2
fi
bin="$(find_bin)"

case "$cmd" in
  start)
    port="${3:-}"
    if [ -z "$port" ] || [ "$port" = 0 ]; then port="$(free_port)"; fi
    watch="${4:-}"
    mkdir -p "$dir"
    if [ ! -d "$dir/cluster" ]; then
      ln -sfn "$(mktemp -d /tmp/portal-postgres.XXXXXX)" "$dir/cluster"
    fi
    dir="$(readlink -f "$dir/cluster")"
    chmod 755 "$dir"
    if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; fi
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      as_owner "$bin/initdb" -D "$dir/data" -U portal --auth=trust --encoding=UTF8 --no-locale >"$dir/initdb.log" 2>&1 ||
        { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    durability=(-c fsync=off -c synchronous_commit=off -c full_page_writes=off)
    if [ "${PG_DURABLE:-0}" = 1 ]; then durability=(); fi
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=300 ${durability[*]}" start >/dev/null ||
      { tail -n 20 "$dir/server.log" >&2; exit 1; }
    if [ -n "$watch" ]; then
      # Stops the server once the watched process is gone (a test binary that ended, or was killed).
      nohup bash -c "while kill -0 $watch 2>/dev/null; do sleep 1; done; \"$0\" stop \"$2\"" \
        >/dev/null 2>&1 </dev/null &
    fi
    echo "postgres://portal@127.0.0.1:$port/postgres"
    ;;
  halt)
    cluster="$(readlink -f "$dir/cluster" 2>/dev/null || true)"
    if [ -n "$cluster" ] && [ -f "$cluster/data/postmaster.pid" ]; then
      as_owner "$bin/pg_ctl" -D "$cluster/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    ;;
  stop)
    cluster="$(readlink -f "$dir/cluster" 2>/dev/null || true)"
    if [ -n "$cluster" ] && [ -f "$cluster/data/postmaster.pid" ]; then
      as_owner "$bin/pg_ctl" -D "$cluster/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    case "$cluster" in /tmp/portal-postgres.*) rm -rf "$cluster" ;; esac
    rm -f "$dir/cluster"
    ;;
  *)
    sed -n '2,15p' "$0" >&2
    exit 2
    ;;
esac
