#!/usr/bin/env bash
# Every test of the workbench: formatting, clippy, native tests, wasm tests of reaseq-core in
# headless Chromium, the release build of the app, a workspace made by the CLI, and the
# end-to-end tests of the built page.
# Installs missing tools first (scripts/setup.sh). Prints how long each phase took.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
export PATH="$root/tests/e2e/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"

summary=()
phase() {
  local name=$1; shift
  printf '\n== test: %s\n' "$name"
  local t0=$SECONDS
  "$@"
  summary+=("$(printf '%-34s %5ds' "$name" $((SECONDS - t0)))")
}

phase "cargo fmt --check" cargo fmt --all -- --check
phase "clippy (native, all targets)" cargo clippy --workspace --all-targets --all-features -- -D warnings
phase "clippy (wasm32)" cargo clippy -p reaseq-core -p reaseq-app --target wasm32-unknown-unknown --all-targets -- -D warnings
phase "native tests" cargo test --workspace --all-features
# The runner reads core/webdriver.json for Chromium's flags.
phase "wasm tests in headless Chromium" bash -c 'cd core && cargo test --target wasm32-unknown-unknown'
phase "trunk build --release" trunk build --release
# The workspace the end-to-end tests open as a researcher would (tests/e2e/workspace.test.js):
# what the CLI writes for MovieLens-100k with the shipped models, in a data directory of its own
# (./data would be staged into the build). About a minute after the CLI's release build.
make_workspace() {
  cargo build --release -p reaseq-core --features cli
  local target reaseq
  target="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
  reaseq="$target/release/reaseq"
  export REASEQ_E2E_WORKSPACE="$target/e2e-workspace"
  export REASEQ_DATA="$REASEQ_E2E_WORKSPACE"
  "$reaseq" data fetch
  "$reaseq" knowledge build
  "$reaseq" experiment >/dev/null
  unset REASEQ_DATA
}
phase "workspace (CLI on MovieLens-100k)" make_workspace
phase "end-to-end tests (Playwright)" bash -c 'cd tests/e2e && npm test'

printf '\n== phases\n'
printf '%s\n' "${summary[@]}"
