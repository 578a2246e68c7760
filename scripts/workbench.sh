#!/usr/bin/env bash
# Runs the workbench from a fresh machine: installs the tools, builds the `reaseq` CLI and the
# page, fetches MovieLens-100k (pinned hashes, into the git-ignored data/), makes what derives
# from its rows with the shipped models (assets/: the student, the reasoner's fold models, the
# four rankers and their results) and serves the app on http://127.0.0.1:8080. Each step's time
# is printed. `reaseq experiment --retrain` trains everything afresh instead (over an hour).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
step() {
  local name=$1; shift
  local t0=$SECONDS
  "$@"
  printf '== workbench: %s took %ds\n' "$name" $((SECONDS - t0)) >&2
}
step "setup" bash scripts/setup.sh
export PATH="$root/tests/e2e/node_modules/.bin:$HOME/.cargo/bin:$PATH"
step "compiling the CLI" cargo build --release -p reaseq-core --features cli
reaseq="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/reaseq"
step "fetching MovieLens-100k" "$reaseq" data fetch
# Cards and vectors from the items' metadata; the shipped student when it learnt these targets.
[ -f data/knowledge/ml-100k/rep.safetensors ] || step "the knowledge build" "$reaseq" knowledge build
# The shipped reasoner infers every user's sequence; the shipped rankers are installed and
# checked against the figures they shipped with. Trains only what nothing shipped fits.
[ -f data/ranker/ml-100k/results.json ] || step "the experiment" "$reaseq" experiment
# The page, with the data and what the steps above made staged into it (scripts/stage-data.sh).
step "compiling the page" trunk build --release
# dist/ is a plain static site: any static server will do.
echo "== workbench: serving dist/ on http://127.0.0.1:${PORT:-8080}" >&2
exec python3 -m http.server "${PORT:-8080}" --bind 127.0.0.1 --directory dist
