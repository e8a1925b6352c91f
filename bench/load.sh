#!/usr/bin/env bash
# A busy machine, for benchmarks: runs COMMAND with N processes beside it that each keep a core
# busy (a spin loop: the worst case for threads that wait at barriers, since a spinner never
# yields its time slice), and stops them when COMMAND ends, however it ends.
#
#   bench/load.sh N COMMAND [ARGS...]      exit status: COMMAND's
#
# Used by bench/busy_machine.sh and tools/suite_under_load.sh.
set -uo pipefail
if (($# < 2)) || ! [[ $1 =~ ^[0-9]+$ ]]; then
  echo "usage: bench/load.sh N COMMAND [ARGS...]" >&2
  exit 2
fi
count=$1
shift
pids=()
stop() {
  ((${#pids[@]})) && kill "${pids[@]}" 2>/dev/null
  wait "${pids[@]}" 2>/dev/null
  pids=()
}
trap stop EXIT
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM
for ((i = 0; i < count; ++i)); do
  bash -c 'while :; do :; done' &
  pids+=($!)
done
"$@"
status=$?
stop
exit "$status"
