#!/usr/bin/env bash
# Installs what building and testing the workbench needs, skipping whatever is already there:
# the wasm32 target, trunk 0.21.14, wasm-bindgen-cli 0.2.130, Chromium + ChromeDriver, and the
# npm packages of tests/e2e (playwright-core, binaryen's wasm-opt). Safe to run again.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"

phase() { printf '\n== setup: %s\n' "$*"; }
timed() {
  local name=$1; shift
  local t0=$SECONDS
  "$@"
  printf '   (%s took %ds)\n' "$name" $((SECONDS - t0))
}

phase "rust target wasm32-unknown-unknown"
if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  echo "   present"
else
  timed "rustup target add" rustup target add wasm32-unknown-unknown
fi

phase "trunk 0.21.14"
if trunk --version 2>/dev/null | grep -qx 'trunk 0.21.14'; then
  echo "   present"
else
  # --debug: trunk's own speed does not matter and this halves a cold install.
  timed "cargo install trunk" cargo install trunk --version 0.21.14 --locked --debug
fi

phase "wasm-bindgen-cli 0.2.130"
if wasm-bindgen --version 2>/dev/null | grep -qx 'wasm-bindgen 0.2.130' \
  && command -v wasm-bindgen-test-runner >/dev/null; then
  echo "   present"
else
  # No --locked: its lock file names a crate version the registry no longer serves.
  timed "cargo install wasm-bindgen-cli" cargo install wasm-bindgen-cli --version 0.2.130
fi

phase "chromium and chromedriver"
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
  echo "   present"
else
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  timed "apt-get update" $sudo_cmd apt-get update -q
  timed "apt-get install" env DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q chromium chromium-driver
fi

phase "npm packages (tests/e2e)"
if [ -x "$root/tests/e2e/node_modules/.bin/wasm-opt" ] && [ -d "$root/tests/e2e/node_modules/playwright-core" ]; then
  echo "   present"
else
  (cd "$root/tests/e2e" && timed "npm ci" npm ci --no-audit --no-fund)
fi
