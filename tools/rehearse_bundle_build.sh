#!/usr/bin/env bash
# The device build rehearsed on a CPU machine (issue 29): builds the project as
# tools/device_check.sh does on a GPU machine, from tools/prepare_device.sh's bundle unpacked into
# a private prefix (GAN_DEPS_PREFIX), inside a mount namespace where the system's copies of the
# build's libraries are hidden. A package the bundle lacks then fails here, not on the card.
#
#   bash tools/rehearse_bundle_build.sh [--omit "PACKAGE ..."] [--build DIR] [--asan]
#     --asan: build the asan preset's configuration (ASan + UBSan, no CUDA) and every target,
#             not the -O0 one: CI's ASan stage then tests this build instead of compiling the
#             same sources a third time (.ci/run; build folder build-asan/ unless --build)
#     --omit: leave these packages out of the prefix (tests/bundle_rehearsal.sh: without libjpeg
#             the build must fail); default build folder build-bundle/
# Needs root (a mount namespace and an overlay over /usr: nothing changes outside this process),
# and apt-get download or a prepared .device/debs. Exit 77: it cannot run here (not root, no
# unshare, no overlay).
#
# What is hidden: every file of the Debian packages of the build's libraries (tools/setup.sh
# --print-packages) and of what they depend on, less what the toolchain itself needs (cmake,
# g++, make, pkg-config and their dependencies, zlib1g and libgomp1 among them: a machine with a
# compiler has those). Derived from apt-cache depends and dpkg -L, so it follows setup.sh's list.
# Hidden by an overlay over /usr whose upper layer deletes those files, in this namespace only.
#
# What is built: the configure of device_check.sh (the same GAN_DEPS_PREFIX) but for two choices
# that cost much and prove nothing about the bundle: no CUDA (the toolkit and cuDNN are the GPU
# machine's own; no kernel or CUDA host file includes a bundled header that CPU files do not;
# nvcc is most of the build's time) and -O0 (optimisation changes no search path; five of the
# heaviest files compiled in 0.6 of their Release time). Then gan and gan_tests, compiled and linked, and run
# with device_check.sh's LD_LIBRARY_PATH: `gan --help` and the image-decoding and BLAS tests load
# the bundle's libjpeg, libpng and OpenBLAS. Every library CMake found must lie in the prefix (or
# be the compiler's own). With --asan the configuration is the asan preset's instead of -O0, and
# every target is built, so that the build is the one CI's sanitizer stage tests.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
omit=""
build=""
asan=0
while (($#)); do
  case "$1" in
    --omit) omit=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --asan) asan=1; shift ;;
    *) echo "rehearse_bundle_build: unknown argument $1" >&2; exit 2 ;;
  esac
done
asan_flag=()
((asan)) && asan_flag=(--asan) && build=${build:-$root/build-asan}
build=${build:-$root/build-bundle}
bundle=${GAN_DEVICE_BUNDLE:-$root/.device}
source "$root/tools/device_bundle.sh"

if [[ "${GAN_REHEARSAL_INSIDE:-0}" != 1 ]]; then
  if [[ $(id -u) -ne 0 ]] || ! command -v unshare >/dev/null; then
    echo "rehearse_bundle_build: needs root and unshare (a mount namespace): not rehearsed here" >&2
    exit 77
  fi
  # Outside the namespace: the bundle (it may need the network), and the files to hide.
  bash "$root/tools/prepare_device.sh" "$bundle"
  closure() {  # the installed packages that PACKAGE... depend on, themselves included
    apt-cache depends --recurse --installed --no-recommends --no-suggests --no-conflicts --no-breaks \
      --no-replaces --no-enhances "$@" 2>/dev/null | grep -E '^[a-z0-9]' | sort -u
  }
  read -r -a toolchain < <(bash "$root/tools/setup.sh" --print-packages | sed -n 's/^toolchain: //p')
  read -r -a libraries < <(bash "$root/tools/setup.sh" --print-packages | sed -n 's/^libraries: //p')
  hidden_packages=$(comm -23 <(closure "${libraries[@]}") <(closure "${toolchain[@]}"))
  [[ -n "$hidden_packages" ]] || { echo "rehearse_bundle_build: found no installed library packages to hide" >&2; exit 1; }
  echo "rehearse_bundle_build: hiding the system's" $hidden_packages
  hide_list=$(mktemp)
  # Files and links only (folders such as /usr/include are shared), each path with its folder's
  # links resolved (/lib is /usr/lib on a merged /usr).
  declare -A real_dir=()
  for package in $hidden_packages; do
    while read -r path; do
      [[ -f "$path" || -L "$path" ]] && [[ ! -d "$path" ]] || continue
      [[ -n "${real_dir[${path%/*}]:-}" ]] || real_dir[${path%/*}]=$(readlink -f "${path%/*}")
      echo "${real_dir[${path%/*}]}/${path##*/}"
    done < <(dpkg -L "$package")
  done | sort -u >"$hide_list"
  if grep -v '^/usr/' "$hide_list" >&2; then
    echo "rehearse_bundle_build: the files above lie outside /usr, which is all this overlay hides" >&2
    exit 1
  fi
  layers=$(mktemp -d)  # the overlay's layers, a tmpfs mounted in the namespace
  trap 'rm -f "$hide_list"; rmdir "$layers"' EXIT
  rc=0
  GAN_REHEARSAL_INSIDE=1 GAN_REHEARSAL_HIDE="$hide_list" GAN_REHEARSAL_LAYERS="$layers" \
    GAN_REHEARSAL_TOOLCHAIN="$(closure "${toolchain[@]}" | tr '\n' ' ')" \
    unshare --mount --propagation private bash "$0" --omit "$omit" --build "$build" "${asan_flag[@]}" || rc=$?
  exit "$rc"
fi

# --- inside the namespace -----------------------------------------------------------------------
layers=$GAN_REHEARSAL_LAYERS
mount -t tmpfs tmpfs "$layers"
mkdir -p "$layers/upper" "$layers/work"
if ! mount -t overlay overlay -o "lowerdir=/usr,upperdir=$layers/upper,workdir=$layers/work" /usr 2>/dev/null; then
  echo "rehearse_bundle_build: no overlay over /usr here (overlayfs unavailable): not rehearsed" >&2
  exit 77
fi
xargs -d '\n' rm -f <"$GAN_REHEARSAL_HIDE"
left=$(xargs -d '\n' ls -d 2>/dev/null <"$GAN_REHEARSAL_HIDE" | head -n 3 || true)
[[ -z "$left" ]] || { echo "rehearse_bundle_build: could not hide $left" >&2; exit 1; }
echo "rehearse_bundle_build: $(wc -l <"$GAN_REHEARSAL_HIDE") files of the system hidden, /usr/include/jpeglib.h among them:" \
  "$([[ -e /usr/include/jpeglib.h ]] && echo STILL THERE || echo gone)"

# The prefix as device_check.sh makes it, without the omitted packages (a folder of its own then).
prefix="$bundle/prefix"
[[ -n "$omit" ]] && prefix="$bundle/prefix-without-$(tr ' ' '+' <<<"$omit")"
bundle_unpack "$bundle/debs" "$prefix" $omit
rm -rf "$build"
# device_check.sh's configure (tools/device_check.sh, build_all), but CUDA off and -O0 (above);
# or, with --asan, the asan preset's (its flags change no search path either).
if ((asan)); then
  (cd "$root" && cmake --preset asan -B "$build" -DGAN_DEPS_PREFIX="$prefix")
else
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Rehearsal -DCMAKE_CXX_FLAGS_REHEARSAL=-O0 -DGAN_WITH_CUDA=OFF \
    -DGAN_DEPS_PREFIX="$prefix"
fi
# Where CMake found each library: in the prefix, or in a toolchain package (OpenMP's libgomp and
# libpthread come with the compiler and the C library).
echo "rehearse_bundle_build: what the build found, and where"
outside=0
while IFS='=' read -r entry value; do
  owner=""
  [[ "$value" == "$prefix"/* ]] || owner=$(dpkg -S "$value" 2>/dev/null | head -n 1 | cut -d: -f1)
  if [[ "$value" == "$prefix"/* ]]; then
    echo "  ${entry%%:*} = $value"
  elif [[ -n "$owner" && " $GAN_REHEARSAL_TOOLCHAIN " == *" $owner "* ]]; then
    echo "  ${entry%%:*} = $value (the toolchain's $owner)"
  else
    echo "  ${entry%%:*} = $value   <- NOT from the bundle (${owner:-no package})"
    outside=1
  fi
done < <(grep -E '^[A-Za-z0-9_]+(_DIR|_INCLUDE_DIR|_LIBRARY|_LIBRARY_RELEASE):(PATH|FILEPATH)=/' \
  "$build/CMakeCache.txt" | grep -vE '^(CMAKE|GAN)_')
((outside == 0)) || { echo "rehearse_bundle_build: libraries found outside the bundle (above)" >&2; exit 1; }
if ((asan)); then
  cmake --build "$build" -j "$(nproc)"
else
  cmake --build "$build" -j "$(nproc)" --target gan gan_tests
fi
lib_path=$(bundle_library_path "$prefix")
export LD_LIBRARY_PATH="$lib_path${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
"$build/gan" --help >/dev/null
(cd "$root" && "$build/tests/gan_tests" --gtest_filter='ImageDecode*:ImageFolder.*:BlasCore*:LinearOps*' --gtest_brief=1)
echo "rehearse_bundle_build: the build from the bundle passed, the system's copies hidden"
