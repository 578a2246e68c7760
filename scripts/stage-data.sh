#!/bin/sh
# trunk post-build hook: a page per route (below); and when MovieLens-100k has been fetched
# (reaseq data fetch), copy it into the build so the browser can load it. Nothing is copied otherwise, and data/ stays out
# of git. A public deployment of dist/ therefore embeds the dataset: mind its terms.
set -eu
# Every view's route gets its own copy of index.html, so that a link to a view (/reasoner?…)
# opened on a plain static server, with no fallback to index.html, still serves the page: such
# a server answers /reasoner with /reasoner/ and its index.html. The routes are app/src/app.rs's
# VIEWS (a test checks that they agree).
for route in sequences knowledge reasoner compare metrics summary; do
  mkdir -p "${TRUNK_STAGING_DIR:?}/$route"
  cp "${TRUNK_STAGING_DIR}/index.html" "${TRUNK_STAGING_DIR}/$route/index.html"
done
# Last, whatever was staged: the index of the page's files (reaseq_core::layout::BuildIndex), so
# the page asks only for files that are there.
write_index() {
  files=$(cd "$TRUNK_STAGING_DIR" && find files -type f ! -name index.json | sort)
  {
    printf '{"format_version":1,"files":['
    sep=''
    for f in $files; do
      printf '%s"/%s"' "$sep" "$f"
      sep=','
    done
    printf ']}\n'
  } > "$TRUNK_STAGING_DIR/files/index.json"
}
trap write_index EXIT
src="data/ml-100k"
[ -f "$src/ml-100k.inter" ] || exit 0
dest="${TRUNK_STAGING_DIR:?}/files/data/ml-100k"
mkdir -p "$dest"
for ext in inter item kg link; do
  [ -f "$src/ml-100k.$ext" ] && cp "$src/ml-100k.$ext" "$dest/"
done
echo "staged MovieLens-100k into $dest"
# What the CLI made for it, where the page reads it: the mapping of reaseq_core::layout::WorkspaceFile
# (which the page uses for an opened workspace folder). The ranker bundles, results and GBR
# sequences of `reaseq experiment` on it, when present.
if [ -f data/ranker/ml-100k/results.json ] && [ -f data/reasoner/ml-100k/inferred.json ]; then
  rdest="${TRUNK_STAGING_DIR}/files/data/ranker/ml-100k"
  mkdir -p "$rdest"
  cp data/ranker/ml-100k/*.json data/ranker/ml-100k/*.safetensors "$rdest/"
  cp data/reasoner/ml-100k/inferred.json "$rdest/"
  # The student into their REP space (the cold-start box), as `reaseq knowledge build` made it.
  for ext in json safetensors; do
    [ -f "data/knowledge/ml-100k/student.$ext" ] && cp "data/knowledge/ml-100k/student.$ext" "$rdest/"
  done
  echo "staged the MovieLens-100k ranker bundles into $rdest"
fi
# The MovieLens-100k reasoner (`reaseq reasoner train`), when present.
if [ -f data/reasoner/ml-100k/reasoner.json ] && [ -f data/reasoner/ml-100k/protocol.json ]; then
  qdest="${TRUNK_STAGING_DIR}/files/data/reasoner/ml-100k"
  mkdir -p "$qdest"
  cp data/reasoner/ml-100k/reasoner.json data/reasoner/ml-100k/reasoner.safetensors \
    data/reasoner/ml-100k/semantic_ids.json data/reasoner/ml-100k/protocol.json "$qdest/"
  # `reaseq reasoner eval`'s measures and `reaseq reasoner infer --all-users`'s run
  # (aggregates only), for the population panel and the every-user card.
  for f in evaluation.json every_user.json; do
    [ -f "data/reasoner/ml-100k/$f" ] && cp "data/reasoner/ml-100k/$f" "$qdest/"
  done
  echo "staged the MovieLens-100k reasoner into $qdest"
fi
# The knowledge build (`reaseq knowledge build`): the Knowledge view's cards and neighbours, the
# reasoner's knowledge space (its consistency column). Item metadata only, no rows.
if [ -f data/knowledge/ml-100k/cards.json ]; then
  kdest="${TRUNK_STAGING_DIR}/files/data/knowledge/ml-100k"
  mkdir -p "$kdest"
  for f in cards.json vectors.safetensors; do
    [ -f "data/knowledge/ml-100k/$f" ] && cp "data/knowledge/ml-100k/$f" "$kdest/"
  done
  echo "staged the MovieLens-100k knowledge build into $kdest"
fi
# The ablation over protocol draws (`reaseq experiment --draws K`; aggregates only), for the
# Summary's panel: the one made here, else the one the repository ships.
for f in data/study/ml-100k/draws/draws.json assets/study/ml-100k/draws.json; do
  if [ -f "$f" ]; then
    mkdir -p "${TRUNK_STAGING_DIR}/files/data/study/ml-100k"
    cp "$f" "${TRUNK_STAGING_DIR}/files/data/study/ml-100k/draws.json"
    echo "staged $f"
    break
  fi
done
