#!/usr/bin/env bash
# Runs every check, in order, stopping at the first failure:
#   setup       scripts/setup.sh --tests (build tools, Chromium, Playwright)
#   fmt         cargo fmt --all --check
#   clippy      cargo clippy --all-targets -- -D warnings
#   rust-tests  cargo nextest run --workspace (or cargo test --workspace without cargo-nextest)
#   build       scripts/site.sh (dev profile): the server binary and the site, as `cargo leptos build` makes them
#   api-fuzz    schemathesis against the built portal's OpenAPI document, bounded (scripts/api_fuzz.sh)
#   end2end     Playwright in Debian's Chromium against the real server (end2end/)
# and ends with one SUMMARY line. Exit status 0 only when everything passed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/governance-portal/target}"
if [ -d "$HOME/.cargo/bin" ] && [[ ":$PATH:" != *":$HOME/.cargo/bin:"* ]]; then
  export PATH="$HOME/.cargo/bin:$PATH"
fi

# clippy and the tests compile the same crates as the build step. scripts/site.sh (like cargo-leptos) builds
# the server with LEPTOS_OUTPUT_NAME (read by leptos at compile time) and, in the dev profile, RUSTFLAGS="--cfg
# erase_components"; giving the other cargo commands the same values lets them share one build cache
# instead of recompiling every dependency each time the two alternate.
LEPTOS_RUSTFLAGS="--cfg erase_components"
if [ -n "${RUSTFLAGS:-}" ]; then LEPTOS_RUSTFLAGS="$RUSTFLAGS $LEPTOS_RUSTFLAGS"; fi
like_leptos() { env LEPTOS_OUTPUT_NAME=portal RUSTFLAGS="$LEPTOS_RUSTFLAGS" "$@"; }

STEPS=(setup fmt clippy rust-tests build api-fuzz end2end)
declare -A RESULT=()
CURRENT=""

summary() {
  local parts=() step
  for step in "${STEPS[@]}"; do
    parts+=("$step ${RESULT[$step]:-skipped}")
  done
  local joined
  joined="$(printf '%s · ' "${parts[@]}")"
  joined="${joined% · }"
  echo
  echo "SUMMARY: $joined — $1"
}

# run_step NAME COMMAND...: announces the step, times it, and stops everything at its failure.
run_step() {
  local name="$1"
  shift
  CURRENT="$name"
  echo
  echo "==> [$name] $*"
  local start=$SECONDS status=0
  "$@" || status=$?
  local took=$((SECONDS - start))
  if [ "$status" -eq 0 ]; then
    RESULT[$name]="ok (${took}s)"
    echo "==> [$name] ok (${took}s)"
  else
    RESULT[$name]="FAILED (${took}s)"
    echo "==> [$name] FAILED after ${took}s (exit status $status): $*" >&2
    on_failure "$name"
    summary "failed at $name"
    exit "$status"
  fi
  CURRENT=""
}

on_failure() {
  case "$1" in
    fmt) echo "    run \`cargo fmt --all\` to format the code, then rerun bash scripts/test.sh" >&2 ;;
    end2end)
      local log=end2end/test-results/portal-server.log
      if [ -s "$log" ]; then
        echo "    last lines of the server log ($log):" >&2
        tail -n 30 "$log" | sed 's/^/    | /' >&2
      fi
      echo "    screenshots, traces and error context: end2end/test-results/" >&2
      ;;
  esac
}

# An interrupt (Ctrl-C) still prints where it stopped.
trap 'if [ -n "$CURRENT" ]; then RESULT[$CURRENT]="interrupted"; summary "interrupted at $CURRENT"; fi; exit 130' INT TERM

# One PostgreSQL server for every test binary of the run (scripts/postgres.sh; each test makes its own
# database on it), stopped when the run ends however it ends.
start_postgres() {
  PG_DIR="$(mktemp -d)"
  PORTAL_TEST_POSTGRES_URL="$(bash scripts/postgres.sh start "$PG_DIR/pg" "" $$ | tail -n 1)" || return 1
  export PORTAL_TEST_POSTGRES_URL
  echo "    PostgreSQL for the tests: $PORTAL_TEST_POSTGRES_URL"
}
stop_postgres() {
  if [ -n "${PG_DIR:-}" ]; then
    bash scripts/postgres.sh stop "$PG_DIR/pg"
    rm -rf "$PG_DIR"
  fi
}

# The build cache outside the clone only grows (every edit leaves an incremental session, every test binary a
# new hash): what no build used for three days goes, so a long-lived machine does not fill its disk.
prune_build_cache() {
  local debug="$CARGO_TARGET_DIR/debug"
  [ -d "$debug" ] || return 0
  find "$debug/incremental" -mindepth 1 -maxdepth 1 -mtime +3 -exec rm -rf {} + 2>/dev/null || true
  find "$debug/deps" -maxdepth 1 -type f -executable -atime +3 -delete 2>/dev/null || true
}

rust_tests() {
  prune_build_cache
  start_postgres || return 1
  trap stop_postgres EXIT
  if cargo nextest --version >/dev/null 2>&1; then
    local log status
    log="$(mktemp)"
    like_leptos cargo nextest run --workspace 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
    # What the step's time goes to: the ten slowest tests (nextest prints each with its duration).
    echo "    the ten slowest tests:"
    sed -nE 's/^ *(PASS|FAIL|SLOW|TIMEOUT) \[ *([0-9.]+)s\] \([0-9]+\/[0-9]+\) (.*)$/\2 \3/p' "$log" \
      | sort -rn | head -10 | awk '{ d = $1; $1 = ""; printf "    %7.1f s %s\n", d, $0 }'
    rm -f "$log"
    return "$status"
  else
    echo "    (cargo-nextest not installed: using cargo test)"
    like_leptos cargo test --workspace
  fi
}

end2end() {
  local bin="$CARGO_TARGET_DIR/debug/portal"
  [ -x "$bin" ] || {
    echo "    the server binary $bin is missing: did scripts/site.sh put it elsewhere?" >&2
    return 1
  }
  (cd end2end && PORTAL_BIN="$bin" npx playwright test)
}

run_step setup bash scripts/setup.sh --tests
run_step fmt cargo fmt --all --check
run_step clippy like_leptos cargo clippy --all-targets -- -D warnings
run_step rust-tests rust_tests
run_step build bash scripts/site.sh
run_step api-fuzz bash scripts/api_fuzz.sh "$CARGO_TARGET_DIR/debug/portal"
run_step end2end end2end

summary "all passed"
