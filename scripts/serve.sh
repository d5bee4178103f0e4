#!/usr/bin/env bash
# Serves the portal on http://127.0.0.1:3000 on the embedded default: SQLite under ./data, development
# sign-in (pick a demo user), demo data on the first start. Installs the build tools first (scripts/setup.sh).
#
#   bash scripts/serve.sh              dev profile
#   bash scripts/serve.sh --release    any further arguments go to `cargo leptos serve`
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/governance-portal/target}"
if [ -d "$HOME/.cargo/bin" ] && [[ ":$PATH:" != *":$HOME/.cargo/bin:"* ]]; then
  export PATH="$HOME/.cargo/bin:$PATH"
fi

bash scripts/setup.sh

echo "==> building and serving the portal (cargo leptos serve $*)"
echo "==> open http://127.0.0.1:3000 and sign in as a demo user; data in ./data; Ctrl-C stops"
exec cargo leptos serve "$@"
