#!/usr/bin/env bash
# Serves the portal on http://127.0.0.1:3000 on the embedded default: SQLite under ./data, development
# sign-in (pick a demo user), demo data on the first start. Installs the build tools first (scripts/setup.sh),
# then builds the server and the site (scripts/site.sh) and runs the server.
#
#   bash scripts/serve.sh              dev profile
#   bash scripts/serve.sh --release    release profile
#
# To rebuild on every edit, install cargo-leptos (`cargo install cargo-leptos --locked`) and run
# `cargo leptos watch`: the workspace's [[workspace.metadata.leptos]] makes the same build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/governance-portal/target}"
if [ -d "$HOME/.cargo/bin" ] && [[ ":$PATH:" != *":$HOME/.cargo/bin:"* ]]; then
  export PATH="$HOME/.cargo/bin:$PATH"
fi

PROFILE=debug
case "${1:-}" in
  "") ;;
  --release) PROFILE=release ;;
  *) echo "serve.sh: unknown argument '$1' (expected nothing or --release)" >&2; exit 2 ;;
esac

bash scripts/setup.sh
bash scripts/site.sh "$@"

echo "==> serving the portal: open http://127.0.0.1:3000 and sign in as a demo user; data in ./data; Ctrl-C stops"
export LEPTOS_OUTPUT_NAME=portal LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_PKG_DIR=pkg
export RUST_LOG="${RUST_LOG:-info}"
exec "$CARGO_TARGET_DIR/$PROFILE/portal"
