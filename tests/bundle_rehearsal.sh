#!/usr/bin/env bash
# The device bundle proven on the CPU machine (.ci/run runs this): tools/rehearse_bundle_build.sh
# twice, the system's copies of the build's libraries hidden each time:
#   1. libjpeg left out of the bundle (issue 29's finding 2, as it was): the build must fail,
#      naming JPEG. This proves the hiding: with the system's libjpeg visible it would pass.
#   2. the bundle as tools/prepare_device.sh makes it: gan and gan_tests build from it alone, and
#      run on its libraries. Arguments go to this build: .ci/run passes --asan, so that the
#      build is also the one its sanitizer stage tests (build-asan/).
# Exit 77 (with the reason) where the rehearsal cannot run: not root, no overlay.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== 1. without libjpeg the build must fail"
bash "$root/tools/rehearse_bundle_build.sh" --omit "libjpeg62-turbo-dev libjpeg62-turbo" --build "$work/build" \
  >"$work/1.log" 2>&1
rc=$?
if ((rc == 77)); then
  tail -n 1 "$work/1.log"
  exit 77
fi
if ((rc == 0)) || ! grep -q "Could NOT find JPEG" "$work/1.log"; then
  cat "$work/1.log"
  echo "bundle rehearsal: FAILED: without libjpeg in the bundle the build should have failed on JPEG (exit $rc)," \
    "so the system's libjpeg was not hidden"
  exit 1
fi
echo "ok: without libjpeg the configure failed: $(grep -m1 "Could NOT find JPEG" "$work/1.log" | sed 's/^ *//')"

echo "== 2. the bundle as prepared"
if ! bash "$root/tools/rehearse_bundle_build.sh" "$@"; then
  echo "bundle rehearsal: FAILED: the build from the bundle (above); add the missing package to" \
    "tools/device_bundle.sh's bundle_packages"
  exit 1
fi
echo "bundle rehearsal: passed"
