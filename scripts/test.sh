#!/usr/bin/env bash
# Every test of the workbench: formatting, clippy, native tests, wasm tests of reaseq-core in
# headless Chromium, the release build of the app, and the end-to-end tests of the built page.
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
phase "end-to-end tests (Playwright)" bash -c 'cd tests/e2e && npm test'

printf '\n== phases\n'
printf '%s\n' "${summary[@]}"
