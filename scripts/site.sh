#!/usr/bin/env bash
# Builds the server binary and the site (wasm, JS, CSS, assets): the steps `cargo leptos build` performs for
# this workspace, without cargo-leptos itself, whose own build took 16 of the first command's 26 minutes on
# a fresh 2-core machine. `[[workspace.metadata.leptos]]` in Cargo.toml stays, so `cargo leptos build` (and
# `cargo leptos watch`) still work for anyone who has it; both put the same files in the same places.
#
#   bash scripts/site.sh              dev profile: the server at $CARGO_TARGET_DIR/debug/portal
#   bash scripts/site.sh --release    release server, wasm-release wasm, wasm-opt -Oz, minified JS and CSS
#
# The outputs, as cargo-leptos makes them (site-root target/site, site-pkg-dir pkg, output name portal):
#   target/site/pkg/portal.wasm   the hydrate build of `app`, through wasm-bindgen --target web
#   target/site/pkg/portal.js     wasm-bindgen's loader
#   target/site/pkg/portal.css    Tailwind CSS from style/tailwind.css
#   target/site/*                 the files of public/
# The tools: the wasm-bindgen CLI (the version in Cargo.lock) and the npm packages of package.json (Tailwind
# CSS, binaryen's wasm-opt, esbuild), which scripts/setup.sh installs; nothing is downloaded here.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

RELEASE=0
case "${1:-}" in
  "") ;;
  --release) RELEASE=1 ;;
  *) echo "site.sh: unknown argument '$1' (expected nothing or --release)" >&2; exit 2 ;;
esac

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/governance-portal/target}"
if [ -d "$HOME/.cargo/bin" ] && [[ ":$PATH:" != *":$HOME/.cargo/bin:"* ]]; then
  export PATH="$HOME/.cargo/bin:$PATH"
fi
SITE=target/site
PKG="$SITE/pkg"
NAME=portal
BIN="$PWD/node_modules/.bin"
for tool in wasm-bindgen "$BIN/tailwindcss" "$BIN/wasm-opt" "$BIN/esbuild"; do
  command -v "$tool" >/dev/null 2>&1 || { echo "site.sh: $tool is missing: run bash scripts/setup.sh" >&2; exit 1; }
done

# leptos reads LEPTOS_OUTPUT_NAME at compile time. In the dev profile cargo-leptos adds `--cfg
# erase_components` (faster compiles of deep view types); scripts/test.sh gives clippy and the tests the same
# two values, so all of them share one build cache.
export LEPTOS_OUTPUT_NAME="$NAME"
if [ "$RELEASE" = 0 ]; then
  export RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }--cfg erase_components"
  SERVER_PROFILE=(); WASM_PROFILE=(); WASM_DIR=debug
else
  SERVER_PROFILE=(--release); WASM_PROFILE=(--profile wasm-release); WASM_DIR=wasm-release
fi

step() { echo "==> [site] $*"; }

step "server: cargo build -p server --bin portal ${SERVER_PROFILE[*]}"
cargo build -p server --bin portal --no-default-features "${SERVER_PROFILE[@]}"

step "wasm: cargo build -p app --lib --target wasm32-unknown-unknown --features hydrate ${WASM_PROFILE[*]}"
cargo build -p app --lib --target wasm32-unknown-unknown --no-default-features --features hydrate "${WASM_PROFILE[@]}"

# Written beside the site first and moved into place at the end, so a failed build leaves the last good site.
mkdir -p target
NEXT="$(mktemp -d target/site.next.XXXXXX)"
chmod 755 "$NEXT"
trap 'rm -rf "$NEXT"' EXIT
mkdir -p "$NEXT/pkg"

step "wasm-bindgen --target web"
wasm-bindgen --target web --out-name "$NAME" --out-dir "$NEXT/pkg" --no-typescript \
  "$CARGO_TARGET_DIR/wasm32-unknown-unknown/$WASM_DIR/app.wasm"
# leptos's HydrationScripts load pkg/{name}.wasm, as cargo-leptos names it.
mv "$NEXT/pkg/${NAME}_bg.wasm" "$NEXT/pkg/$NAME.wasm"

if [ "$RELEASE" = 1 ]; then
  step "wasm-opt -Oz; esbuild --minify"
  "$BIN/wasm-opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
    "$NEXT/pkg/$NAME.wasm" -o "$NEXT/pkg/$NAME.wasm"
  "$BIN/esbuild" "$NEXT/pkg/$NAME.js" --minify --format=esm --log-level=warning --allow-overwrite \
    --outfile="$NEXT/pkg/$NAME.js"
fi

step "tailwindcss -i style/tailwind.css"
TAILWIND=("$BIN/tailwindcss" --input style/tailwind.css --output "$NEXT/pkg/$NAME.css")
if [ "$RELEASE" = 1 ]; then TAILWIND+=(--minify); fi
"${TAILWIND[@]}" 2>&1 | grep -v "^≈ tailwindcss\|^Done in\|^$" || true
[ -s "$NEXT/pkg/$NAME.css" ] || { echo "site.sh: Tailwind wrote no CSS" >&2; exit 1; }

step "assets: public/"
cp -R public/. "$NEXT/"

rm -rf "$SITE.old"
if [ -d "$SITE" ]; then mv "$SITE" "$SITE.old"; fi
mv "$NEXT" "$SITE"
rm -rf "$SITE.old"
trap - EXIT
step "done: $CARGO_TARGET_DIR/$([ "$RELEASE" = 1 ] && echo release || echo debug)/portal and $SITE/"
