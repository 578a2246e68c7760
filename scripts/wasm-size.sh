#!/usr/bin/env bash
# What the WebGPU path costs the worker's wasm: builds `reaseq-worker` in release for wasm32 with
# and without the app's `webgpu` feature, runs wasm-bindgen and `wasm-opt -Oz` as trunk does,
# and prints each one's size raw and gzip -9, and the difference. Also the page's wasm: index.html
# builds it without the feature (`data-cargo-no-default-features`), so it carries none of the
# WebGPU path; built with it, wgpu's dependencies' features (hashbrown's inlining) would grow it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/reaseq-workbench/target}"
export PATH="$root/tests/e2e/node_modules/.bin:$HOME/.cargo/bin:$PATH"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
size() { # bin, features, label
  local bin=$1 label=$3
  # shellcheck disable=SC2086
  cargo build -q --release --target wasm32-unknown-unknown -p reaseq-app --bin "$bin" $2
  wasm-bindgen --target no-modules --out-dir "$out/$label" --out-name "$bin" \
    "$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/$bin.wasm"
  wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals "$out/$label/${bin}_bg.wasm" -o "$out/$label/opt.wasm"
  local raw gz
  raw=$(stat -c %s "$out/$label/opt.wasm")
  gz=$(gzip -9 -c "$out/$label/opt.wasm" | wc -c)
  printf '%-44s %9d bytes raw %9d bytes gzip\n' "$label" "$raw" "$gz"
  echo "$gz" > "$out/$label.gz"
}
size reaseq-worker "--no-default-features" "worker, without webgpu"
size reaseq-worker "" "worker, with webgpu (the default)"
size reaseq-app "--no-default-features" "page, as index.html builds it"
size reaseq-app "" "page, if built with webgpu"
w0=$(cat "$out/worker, without webgpu.gz"); w1=$(cat "$out/worker, with webgpu (the default).gz")
p0=$(cat "$out/page, as index.html builds it.gz"); p1=$(cat "$out/page, if built with webgpu.gz")
echo "the WebGPU path adds $((w1 - w0)) bytes gzip to the worker's wasm and nothing to the page's as built (it would add $((p1 - p0)) if the page were built with the feature)"
