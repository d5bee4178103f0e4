# The production image of the portal: a builder with the same tools as scripts/setup.sh, then a slim runtime
# with the server binary and the compiled site.
#
#   docker build -t governance-portal .
#   docker run -p 3000:3000 -v portal-data:/data governance-portal
#
# Settings come from PORTAL_* variables or a TOML file (mount it and set PORTAL_CONFIG); see README.md.
# The image defaults to development mode (demo sign-in and demo data): set PORTAL_MODE=production for real use.

# ---- Node.js 20 (Tailwind CSS 4 needs Node >= 20; Debian bookworm ships 18) ----------------------------------
FROM node:20-bookworm-slim AS node

# ---- builder -------------------------------------------------------------------------------------------------
FROM rust:1.95-bookworm AS builder

# Node.js runs Tailwind CSS, binaryen's wasm-opt and esbuild (npm packages: nothing is downloaded at build time).
COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=node /usr/local/lib/node_modules /usr/local/lib/node_modules
RUN ln -s /usr/local/lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s /usr/local/lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && node --version && npm --version

# The build tools, in layers of their own so source changes do not reinstall them.
RUN rustup target add wasm32-unknown-unknown

WORKDIR /src

# wasm-bindgen CLI: exactly the wasm-bindgen version of Cargo.lock (not --locked, see scripts/setup.sh).
COPY Cargo.lock ./
RUN WB_VERSION="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)" \
 && test -n "$WB_VERSION" \
 && cargo install wasm-bindgen-cli --version "$WB_VERSION" --bin wasm-bindgen

COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

COPY . .
# scripts/site.sh: the steps of `cargo leptos build --release`, without cargo-leptos.
RUN CARGO_TARGET_DIR=/src/target bash scripts/site.sh --release \
 && test -x target/release/portal \
 && test -d target/site/pkg

# ---- runtime -------------------------------------------------------------------------------------------------
FROM debian:bookworm-slim

RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl git \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin portal \
 && mkdir -p /data \
 && chown portal:portal /data

WORKDIR /app
COPY --from=builder /src/target/release/portal /app/portal
COPY --from=builder /src/target/site /app/site

ENV LEPTOS_SITE_ROOT=/app/site \
    LEPTOS_OUTPUT_NAME=portal \
    PORTAL_ADDR=0.0.0.0:3000 \
    PORTAL_DATA_DIR=/data \
    RUST_LOG=info

USER portal
VOLUME /data
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD curl -fsS http://127.0.0.1:3000/readyz || exit 1

ENTRYPOINT ["/app/portal"]
