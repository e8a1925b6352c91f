# shellcheck shell=bash
# Sourced (not run) by tools/prepare_device.sh, tools/device_check.sh and
# tools/rehearse_bundle_build.sh: which Debian packages the device bundle carries, and how a build
# takes them from a private prefix, written once so that the rehearsal on a CPU machine builds
# exactly as the GPU machine will.

# The build's dependencies beyond a toolchain (CMake, a C++ compiler, make), and what they need at
# run time: every find_package of CMakeLists.txt, host/ and tests/ but OpenMP and Threads, which
# come with the compiler (so does libgomp: a bundled older one would shadow it).
#   nlohmann_json: nlohmann-json3-dev          CLI11: libcli11-dev       Eigen3: libeigen3-dev
#   GTest: libgtest-dev (libraries, CMake config) and googletest (its sources, a dependency)
#   ZLIB: zlib1g-dev, zlib1g                   PNG: libpng-dev, libpng16-16
#   JPEG: libjpeg62-turbo-dev, libjpeg62-turbo (Debian's libjpeg-dev is an empty package that
#         depends on these; its jconfig.h sits in the multiarch folder, see CMakeLists.txt)
#   OpenBLAS, OpenMP build: libopenblas-openmp-dev, libopenblas0-openmp, and its Fortran run time
#         libgfortran5, libquadmath0
#   oneDNN (cpu/cpu_gemm.h, found by hand in host/CMakeLists.txt): libdnnl-dev, libdnnl2, and the
#         OpenCL loader libdnnl2 links, ocl-icd-libopencl1
# tools/rehearse_bundle_build.sh proves the list: it builds from these alone, the system's copies
# hidden.
# shellcheck disable=SC2034  # used by the scripts that source this file
bundle_packages=(
  nlohmann-json3-dev libcli11-dev libeigen3-dev
  libgtest-dev googletest
  zlib1g-dev zlib1g libpng-dev libpng16-16
  libjpeg62-turbo-dev libjpeg62-turbo
  libopenblas-openmp-dev libopenblas0-openmp libgfortran5 libquadmath0
  libdnnl-dev libdnnl2 ocl-icd-libopencl1
)

# bundle_unpack DEBS PREFIX [PACKAGE...]: every .deb in DEBS unpacked into PREFIX with dpkg -x
# (nothing is installed), except the named packages; idempotent, a stamp per deb. Fails, naming
# the deb, if one cannot be unpacked.
bundle_unpack() {
  local debs=$1 prefix=$2 deb package stamp
  shift 2
  mkdir -p "$prefix"
  for deb in "$debs"/*.deb; do
    [[ -e "$deb" ]] || continue
    package=$(basename "$deb")
    package=${package%%_*}
    [[ " $* " == *" $package "* ]] && continue
    stamp="$prefix/.$(basename "$deb").unpacked"
    [[ -e "$stamp" ]] && continue
    dpkg -x "$deb" "$prefix" || { echo "device bundle: could not unpack $deb into $prefix" >&2; return 1; }
    touch "$stamp"
  done
}

# bundle_library_path PREFIX: the folders of PREFIX's shared libraries, for LD_LIBRARY_PATH (the
# OpenMP OpenBLAS has its own). Not PREFIX/lib/<triplet>, where Debian's zlib1g puts libz.so.1:
# every system has a zlib, and a bundled one would shadow it for every program started (PyTorch
# included).
bundle_library_path() {
  local prefix=$1 dir path=""
  for dir in "$prefix"/usr/lib/*-linux-gnu; do
    [[ -d "$dir" ]] || continue
    path+="${path:+:}$dir/openblas-openmp:$dir"
  done
  echo "$path"
}
