#!/usr/bin/env bash
# The whole test suite, several times in a row, on a busy machine: two processes keep two cores
# busy beside it (bench/load.sh) while ctest runs the suite of a build folder, so that a test
# that waits for time instead of for an event shows up as a failure here rather than in CI.
#
#   tools/suite_under_load.sh [--build build] [--rounds 3] [--load 2] [-- CTEST_ARGS...]
#
# Default ctest arguments: -j2 --output-on-failure -LE fuzz (the fuzzers run for a fixed time by
# design). Prints each round's ctest summary and its time; exits non-zero if any round failed.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=build
rounds=3
load=2
ctest_args=(-j2 --output-on-failure -LE fuzz)
while (($#)); do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --load) load=$2; shift 2 ;;
    --) shift; ctest_args=("$@"); break ;;
    *) echo "suite_under_load: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ -d "$build" ]] || { echo "suite_under_load: no build folder $build (tools/setup.sh --tests builds build/)" >&2; exit 2; }
failed=0
for ((round = 1; round <= rounds; ++round)); do
  began=$SECONDS
  log=$(mktemp)
  bench/load.sh "$load" ctest --test-dir "$build" "${ctest_args[@]}" >"$log" 2>&1
  status=$?
  echo "suite_under_load: round $round of $rounds, $load busy processes beside it, $((SECONDS - began)) s:"
  grep -E "tests passed|tests failed|^\s+[0-9]+ - " "$log" | sed 's/^/  /'
  if ((status != 0)); then
    failed=$((failed + 1))
    cp "$log" "suite_under_load-round$round.log"
    echo "  (the full output: suite_under_load-round$round.log)"
  fi
  rm -f "$log"
done
echo "suite_under_load: $((rounds - failed)) of $rounds rounds passed"
((failed == 0))
