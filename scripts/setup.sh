#!/usr/bin/env bash
# Installs what building, serving and testing the portal needs, on a Debian/Ubuntu machine that has rustup,
# Node.js (with npm) and Python. Idempotent: a step whose result is already there installs nothing.
#
#   bash scripts/setup.sh           tools to build and serve
#   bash scripts/setup.sh --tests   also Debian's Chromium, the Playwright runner for end2end/, MLflow 3.x
#                                   (a Python venv in $MLFLOW_VENV, default ~/.cache/governance-portal/venv-mlflow)
#                                   and the AWS emulator moto 5.x for aws/tests (a venv in $MOTO_VENV, default
#                                   ~/.cache/governance-portal/venv-moto), and schemathesis 4.x for the API
#                                   fuzzing step (a venv in $SCHEMATHESIS_VENV), aiosmtpd 1.x for the notification
#                                   tests (a venv in $SMTP_VENV), and Debian's prometheus for the
#                                   metrics test
#
# The Rust build cache lives outside the clone, in $CARGO_TARGET_DIR
# (default ~/.cache/governance-portal/target), so fresh clones and CI workspaces reuse it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

TESTS=0
for arg in "$@"; do
  case "$arg" in
    --tests) TESTS=1 ;;
    -h | --help)
      sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "setup.sh: unknown argument '$arg' (expected --tests)" >&2
      exit 2
      ;;
  esac
done

say() { printf '==> %s\n' "$*"; }
die() {
  printf 'setup.sh: %s\n' "$*" >&2
  exit 1
}

# Cargo-installed tools land in ~/.cargo/bin; make sure this shell finds them.
if [ -d "$HOME/.cargo/bin" ] && [[ ":$PATH:" != *":$HOME/.cargo/bin:"* ]]; then
  export PATH="$HOME/.cargo/bin:$PATH"
fi
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/governance-portal/target}"
mkdir -p "$CARGO_TARGET_DIR"
say "Rust build cache: CARGO_TARGET_DIR=$CARGO_TARGET_DIR"

for tool in rustup cargo node npm; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is required but not on PATH (install rustup and Node.js first)"
done

# 1. The WebAssembly target the UI compiles to.
if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "wasm32-unknown-unknown target: present"
else
  say "wasm32-unknown-unknown target: adding (rustup target add)"
  rustup target add wasm32-unknown-unknown
fi

# 2. No cargo-leptos: scripts/site.sh performs its build steps with the tools below (cargo-leptos's own build
#    took 16 of the first command's 26 minutes on 2 cores). `cargo leptos build` still works for whoever has it.
# 3. The wasm-bindgen CLI (its `wasm-bindgen` binary only): must equal the wasm-bindgen crate in Cargo.lock
#    exactly. Not --locked: its lock file wants a crate version some registries lack.
WB_WANT="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)"
[ -n "$WB_WANT" ] || die "no wasm-bindgen in Cargo.lock"
WB_HAVE="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)"
if [ "$WB_HAVE" = "$WB_WANT" ]; then
  say "wasm-bindgen-cli $WB_WANT: present"
else
  say "wasm-bindgen-cli $WB_WANT: installing (was: ${WB_HAVE:-none}; takes about 3 minutes)"
  cargo install wasm-bindgen-cli --version "$WB_WANT" --bin wasm-bindgen
fi

# npm ci in a folder unless its node_modules already matches its package-lock.json.
npm_ci() {
  local dir="$1" what="$2"
  shift 2
  if [ -f "$dir/node_modules/.package-lock.json" ] && ! [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    say "$what: up to date ($dir/node_modules)"
  else
    say "$what: npm ci in $dir"
    (cd "$dir" && env "$@" npm ci --no-audit --no-fund)
  fi
}

# 4. Tailwind CSS, wasm-opt (npm binaryen 132, not Debian's) and esbuild (the release JS minifier) in
#    ./node_modules/.bin, where scripts/site.sh (and cargo-leptos) find them: nothing is downloaded from GitHub.
npm_ci . "tailwindcss, binaryen, esbuild (npm)"

if [ "$TESTS" = 1 ]; then
  # Debian packages the tests run: apt_package COMMAND PACKAGE PURPOSE. Installs unless COMMAND is there.
  apt_package() {
    local command="$1" package="$2" purpose="$3"
    if command -v "$command" >/dev/null 2>&1 || [ -x "/usr/bin/$command" ]; then
      say "$package: present ($(command -v "$command" || echo "/usr/bin/$command"))"
      return
    fi
    say "$package: installing with apt-get ($purpose)"
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then
      command -v sudo >/dev/null 2>&1 || die "installing $package needs root or sudo"
      SUDO="sudo"
    fi
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$package"
  }

  # 5. Debian's Chromium for Playwright (never `npx playwright install`), Debian's Prometheus, which
  #    scrapes the portal's /metrics in server/tests/operations.rs, and Debian's PostgreSQL.
  apt_package chromium chromium "the browser tests"
  apt_package prometheus prometheus "the metrics test"
  # PostgreSQL's server (its programs live outside PATH): the PostgreSQL store's tests start their own.
  if compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
    say "postgresql: present ($(compgen -G "/usr/lib/postgresql/*/bin/initdb" | head -1))"
  else
    apt_package initdb postgresql "the PostgreSQL store's tests"
  fi

  # A Python package in a virtual environment outside the clone, so every clone and CI run reuses it:
  # python_venv DIR PACKAGE MAJOR PIP_SPEC EXECUTABLE PURPOSE COST. Installs unless PACKAGE MAJOR.x is there.
  python_venv() {
    local dir="$1" package="$2" major="$3" spec="$4" executable="$5" purpose="$6" cost="$7" have
    have="$("$dir/bin/python" -c "import importlib.metadata as m; print(m.version('$package'))" 2>/dev/null || true)"
    if [[ "$have" == "$major".* ]] && [ -x "$dir/$executable" ]; then
      say "$package $have: present ($dir)"
      return
    fi
    command -v python3 >/dev/null 2>&1 || die "python3 is required for $purpose"
    say "$spec: installing into $dir (was: ${have:-none}; pip from PyPI, $cost)"
    [ -x "$dir/bin/pip" ] || python3 -m venv "$dir"
    "$dir/bin/pip" install --quiet --disable-pip-version-check "$spec"
  }

  # 6. The Playwright runner, without its browser download.
  npm_ci end2end "Playwright (end2end/)" PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

  # 7. A real MLflow tracking server for the experiments conformance suite (server/tests/experiments.rs):
  #    PyPI mlflow 3.x in a virtual environment outside the clone, so every clone and CI run reuses it.
  #    The test reads the same MLFLOW_VENV default.
  MLFLOW_VENV="${MLFLOW_VENV:-$HOME/.cache/governance-portal/venv-mlflow}"
  python_venv "$MLFLOW_VENV" mlflow 3 "mlflow>=3,<4" bin/mlflow "the MLflow test server" "~1 minute, ~850 MB"

  # 8. The OIDC provider and the CI token issuer the Rust and end-to-end tests start on 127.0.0.1.
  npm_ci server/tests/fixtures/oidc "OIDC provider (oidc-provider, test fixture)"
  npm_ci server/tests/fixtures/ci-issuer "CI token issuer (oauth2-mock-server, test fixture)"

  # 9. The local AWS emulator for the AWS adapters' tests (aws/tests): PyPI moto[server] 5.x in a virtual
  #    environment outside the clone. The tests read the same MOTO_VENV default and fail (never skip) without it.
  MOTO_VENV="${MOTO_VENV:-$HOME/.cache/governance-portal/venv-moto}"
  python_venv "$MOTO_VENV" moto 5 "moto[server]>=5,<6" bin/moto_server "the AWS emulator (moto)" "~30 s"
  # cfn-lint beside it: server/tests/deploy_cloudformation.rs checks deploy/cloudformation/portal.yaml with
  # AWS's resource specifications (moto creates only what it supports; the lint covers the rest).
  python_venv "$MOTO_VENV" cfn-lint 1 "cfn-lint>=1,<2" bin/cfn-lint "the CloudFormation template's lint" "~20 s"
  # kubernetes-validate beside them: server/tests/deploy_kubernetes.rs checks deploy/kubernetes/ against the
  # Kubernetes API's own schemas (bundled with the package, no cluster needed).
  python_venv "$MOTO_VENV" kubernetes-validate 1 "kubernetes-validate>=1.30,<2" bin/kubernetes-validate "the Kubernetes example's schema check" "~10 s"

  # 10. Schemathesis for the API fuzzing step (scripts/api_fuzz.sh): PyPI schemathesis 4.x in its own venv.
  SCHEMATHESIS_VENV="${SCHEMATHESIS_VENV:-$HOME/.cache/governance-portal/venv-schemathesis}"
  python_venv "$SCHEMATHESIS_VENV" schemathesis 4 "schemathesis>=4,<5" bin/schemathesis "the API fuzzer (schemathesis)" "~30 s"

  # 11. A real SMTP server for the notification tests (server/tests/notifications.rs): PyPI aiosmtpd 1.x on
  #     loopback, writing what it receives to a maildir the test reads back. The test reads the same SMTP_VENV.
  SMTP_VENV="${SMTP_VENV:-$HOME/.cache/governance-portal/venv-smtp}"
  python_venv "$SMTP_VENV" aiosmtpd 1 "aiosmtpd>=1.4,<2" bin/aiosmtpd "the SMTP server of the notification tests" "~10 s"
fi

say "set-up complete"
