#!/usr/bin/env bash
# libFuzzer targets for the readers of untrusted input: the IDX reader, the safetensors reader
# and the config parser, built with clang (-fsanitize=fuzzer,address,undefined) into build/fuzz.
#
# usage: tools/fuzz.sh build
#        tools/fuzz.sh run TARGET [SECONDS]     TARGET: idx | safetensors | config
# A run starts from the seed corpus in tests/fuzz/corpus/TARGET (new inputs it finds go to
# build/fuzz/corpus-TARGET, not into the repository). A crash leaves crash-* in build/fuzz and
# fails; turn it into a regression input under tests/fuzz/regressions/TARGET.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/build/fuzz"
cxx=${CLANGXX:-clang++}
command -v "$cxx" >/dev/null || { echo "fuzz: $cxx not found (tools/setup.sh --tests installs clang)" >&2; exit 1; }

sources_for() {
  case "$1" in
    idx) echo "host/data/idx.cpp host/util/files.cpp" ;;
    safetensors) echo "host/io/safetensors.cpp host/util/files.cpp" ;;
    config) echo "host/train/config.cpp host/util/files.cpp host/model/model_spec.cpp host/model/dcgan_spec.cpp host/model/spectral_norm.cpp host/model/augment.cpp" ;;
    *) echo "fuzz: unknown target $1 (idx, safetensors, config)" >&2; exit 2 ;;
  esac
}

build_target() {
  local target=$1
  local binary="$out/fuzz_$target"
  local sources
  sources=$(sources_for "$target")
  mkdir -p "$out"
  # Rebuild only when a source is newer than the binary.
  local newest
  newest=$(cd "$root" && ls -t tests/fuzz/fuzz_"$target".cpp $sources host/*/*.h | head -n 1)
  if [[ -x "$binary" && "$binary" -nt "$root/$newest" ]]; then return; fi
  echo "fuzz: building $binary"
  (cd "$root" && "$cxx" -std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -Ihost -Ikernels tests/fuzz/fuzz_"$target".cpp $sources -lz -o "$binary")
}

case "${1:-}" in
  build)
    for t in idx safetensors config; do build_target "$t"; done ;;
  run)
    target=${2:?usage: tools/fuzz.sh run TARGET [SECONDS]}
    seconds=${3:-60}
    build_target "$target"
    corpus="$out/corpus-$target"
    mkdir -p "$corpus"
    regressions="$root/tests/fuzz/regressions/$target"
    if [[ -d "$regressions" ]]; then
      # Every input that once crashed must now pass.
      "$out/fuzz_$target" -runs=0 "$regressions"
    fi
    cd "$out"
    "$out/fuzz_$target" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -print_final_stats=1 \
      "$corpus" "$root/tests/fuzz/corpus/$target" ;;
  *)
    echo "usage: tools/fuzz.sh build | run TARGET [SECONDS]" >&2; exit 2 ;;
esac
