#!/usr/bin/env bash
# Gathers, on a networked Debian machine, everything tools/device_check.sh needs on a GPU machine
# that has the CUDA toolkit, CMake, a C++ compiler and Python with PyTorch, but no network and
# none of our Debian packages. Everything goes into one ignored folder, .device/ (or $1):
#   .device/debs/      the Debian packages of our build dependencies (apt-get download)
#   .device/prefix/    the same, unpacked with dpkg -x: a private prefix, nothing installed
#   .device/data/      MNIST-10k and Fashion-MNIST as IDX files (gzip), the default data, and
#                      shapes32/, shapes64/: small colour image folders (tools/make_shapes.py)
# Idempotent. Carry .device/debs and .device/data (17 + 32 MB; prefix/ is 125 MB and is rebuilt
# there from the debs). With this workplace's device tool, for example:
#   carry [".device/debs", ".device/data"], run: RESULTS_DIR=$OUT bash tools/device_check.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bundle=${1:-$root/.device}
mkdir -p "$bundle/debs" "$bundle/prefix" "$bundle/data"

# The build's dependencies and what they need at run time (tools/device_bundle.sh says which).
source "$root/tools/device_bundle.sh"
missing=()
for p in "${bundle_packages[@]}"; do
  compgen -G "$bundle/debs/${p}_*.deb" >/dev/null || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "prepare_device: apt-get download ${missing[*]}"
  (cd "$bundle/debs" && apt-get download -q "${missing[@]}" >/dev/null)
else
  echo "prepare_device: Debian packages present"
fi
bundle_unpack "$bundle/debs" "$bundle/prefix"

# The data: ours, prepared by tools/prepare_data.sh; compressed (the IDX reader reads .gz),
# links followed, so the folder stands alone.
[[ -s "$root/data/mnist/train-images-idx3-ubyte" ]] || bash "$root/tools/prepare_data.sh"
mkdir -p "$bundle/data/mnist" "$bundle/data/fashion-mnist"
for f in train-images-idx3-ubyte train-labels-idx1-ubyte; do
  [[ -s "$bundle/data/mnist/$f.gz" ]] || gzip -c "$root/data/mnist/$f" >"$bundle/data/mnist/$f.gz"
done
for f in "$root"/data/fashion-mnist/*.gz; do
  [[ -e "$f" ]] || continue
  [[ -s "$bundle/data/fashion-mnist/$(basename "$f")" ]] || cp -L "$f" "$bundle/data/fashion-mnist/"
done
# Small colour image folders for the 32- and 64-pixel DCGAN's checks on the GPU (device_check.sh),
# made here with Debian's Python (PIL, numpy): that machine's may lack them.
for size in 32 64; do
  [[ -d "$bundle/data/shapes$size" ]] && continue
  rm -rf "$bundle/data/shapes$size.tmp"
  "${PYTHON:-/usr/bin/python3}" "$root/tools/make_shapes.py" "$bundle/data/shapes$size.tmp" --per-class 8 --size "$size" \
    --background any --supersample 1 --noise 8 >/dev/null
  mv "$bundle/data/shapes$size.tmp" "$bundle/data/shapes$size"
done
echo "prepare_device: $bundle ready: carry $bundle/debs and $bundle/data ($(du -shc "$bundle/debs" "$bundle/data" | tail -n 1 | cut -f1))"
