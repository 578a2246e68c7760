#!/bin/sh
# trunk post-build hook: when MovieLens-100k has been fetched (reaseq data fetch), copy it
# into the build so the browser can load it. Nothing is copied otherwise, and data/ stays out
# of git. A public deployment of dist/ therefore embeds the dataset: mind its terms.
set -eu
src="data/ml-100k"
[ -f "$src/ml-100k.inter" ] || exit 0
dest="${TRUNK_STAGING_DIR:?}/data/ml-100k"
mkdir -p "$dest"
for ext in inter item kg link; do
  [ -f "$src/ml-100k.$ext" ] && cp "$src/ml-100k.$ext" "$dest/"
done
echo "staged MovieLens-100k into $dest"
# The ranker bundles, results and GBR sequences of `reaseq experiment` on it, when present.
if [ -f data/ranker/ml-100k/results.json ] && [ -f data/reasoner/ml-100k/inferred.json ]; then
  rdest="${TRUNK_STAGING_DIR}/data/ranker/ml-100k"
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
  qdest="${TRUNK_STAGING_DIR}/data/reasoner/ml-100k"
  mkdir -p "$qdest"
  cp data/reasoner/ml-100k/reasoner.json data/reasoner/ml-100k/reasoner.safetensors \
    data/reasoner/ml-100k/semantic_ids.json data/reasoner/ml-100k/protocol.json "$qdest/"
  echo "staged the MovieLens-100k reasoner into $qdest"
fi
# The knowledge build (`reaseq knowledge build`): the Knowledge view's cards and neighbours, the
# reasoner's knowledge space (its consistency column). Item metadata only, no rows.
if [ -f data/knowledge/ml-100k/cards.json ]; then
  kdest="${TRUNK_STAGING_DIR}/data/knowledge/ml-100k"
  mkdir -p "$kdest"
  for f in cards.json vectors.safetensors; do
    [ -f "data/knowledge/ml-100k/$f" ] && cp "data/knowledge/ml-100k/$f" "$kdest/"
  done
  echo "staged the MovieLens-100k knowledge build into $kdest"
fi
