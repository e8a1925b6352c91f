#!/usr/bin/env bash
# Gathers, on a networked Debian machine, everything tools/device_check.sh needs on a GPU machine
# that has the CUDA toolkit, CMake, a C++ compiler and Python with PyTorch, but no network and
# none of our Debian packages. Everything goes into one ignored folder, .device/ (or $1):
#   .device/debs/      the Debian packages of our build dependencies (apt-get download)
#   .device/prefix/    the same, unpacked with dpkg -x: a private prefix, nothing installed
#   .device/data/      MNIST-10k and Fashion-MNIST as IDX files (gzip), the default data
# Idempotent. Carry .device/debs and .device/data (about 48 MB; prefix/ is 120 MB and is rebuilt
# there from the debs). With this workplace's device tool, for example:
#   carry [".device/debs", ".device/data"], run: RESULTS_DIR=$OUT bash tools/device_check.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bundle=${1:-$root/.device}
mkdir -p "$bundle/debs" "$bundle/prefix" "$bundle/data"

# The build's dependencies and what they need at run time, beyond a C++ toolchain (libgomp
# comes with the compiler there: a bundled older one would shadow it).
packages=(
  nlohmann-json3-dev libcli11-dev libeigen3-dev
  libgtest-dev googletest
  zlib1g-dev zlib1g libpng-dev libpng16-16
  libopenblas-openmp-dev libopenblas0-openmp libgfortran5 libquadmath0
)
missing=()
for p in "${packages[@]}"; do
  compgen -G "$bundle/debs/${p}_*.deb" >/dev/null || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "prepare_device: apt-get download ${missing[*]}"
  (cd "$bundle/debs" && apt-get download -q "${missing[@]}" >/dev/null)
else
  echo "prepare_device: Debian packages present"
fi
for deb in "$bundle"/debs/*.deb; do
  stamp="$bundle/prefix/.$(basename "$deb").unpacked"
  [[ -e "$stamp" ]] || { dpkg -x "$deb" "$bundle/prefix" && touch "$stamp"; }
done

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
echo "prepare_device: $bundle ready: carry $bundle/debs and $bundle/data ($(du -shc "$bundle/debs" "$bundle/data" | tail -n 1 | cut -f1))"
