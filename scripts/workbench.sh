#!/usr/bin/env bash
# Runs the workbench from a fresh machine: installs the tools, fetches MovieLens-100k (pinned
# hashes, into the git-ignored data/), builds the `reaseq` CLI, builds the item knowledge and
# runs the ablation once (about an hour the first time, cached afterwards), and serves the
# app with trunk on http://127.0.0.1:8080.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
export PATH="$root/tests/e2e/node_modules/.bin:$HOME/.cargo/bin:$PATH"
cargo build --release -p reaseq-core --features cli
reaseq="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/reaseq"
"$reaseq" data fetch
"$reaseq" data stats
[ -f data/knowledge/ml-100k/rep.safetensors ] || "$reaseq" knowledge build
# Trains the reasoner too when its sequences are missing; reuses everything cached.
[ -f data/ranker/ml-100k/results.json ] || "$reaseq" experiment
exec trunk serve --release "$@"
