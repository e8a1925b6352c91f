#!/usr/bin/env bash
# A rehearsal of tools/device_check.sh on a machine without a GPU (tools/device_stub.sh stands in
# for every GPU program): what it must do within a few minutes of borrowed device time is tried
# here, where it costs none. Four runs:
#   1. ample budget: every step passes, exactly 8 files come back, the archive holds every
#      result, the summary has the benchmark and ncu tables;
#   2. a benchmark that hangs after 3 measurements: its step times out at its cap, the rows
#      measured before the hang are in the summary and the archive, the steps after it still run;
#   3. a budget too small for everything: the first steps run, the rest are listed as skipped,
#      and the whole call ends within the budget;
#   4. a SIGTERM in the middle (a device tool's own time-out): the summary and the archive are
#      still written.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
check() {  # check DESCRIPTION COMMAND...
  if "${@:2}"; then echo "ok: $1"; else echo "FAILED: $1"; failures=$((failures + 1)); fi
}
files_in() { find "$1" -maxdepth 1 -type f | wc -l; }
summary_has() { grep -qE "$2" "$1/summary.txt"; }
archive_has() { grep -qE "$2" <(tar -tzf "$1/results.tar.gz"); }

echo "== 1. ample budget"
GAN_STUB_SECONDS=0.01 RESULTS_DIR="$work/1" bash "$root/tools/device_check.sh" --rehearse --time-scale 0.2 \
  --budget 200 >"$work/1.log" 2>&1
check "exit 0 (rc $?)" test "$(tail -n 1 "$work/1.log")" = "device_check: every step passed"
check "exactly 8 files" test "$(files_in "$work/1")" -eq 8
for name in "configure \+ build" "gan check" "GPU tests" "GPU failures" "parity" "training runs" "bench: MLP" \
  "bench: where the step" "bench: 200 epochs" "bench: DCGAN" "bench: 64x64 colour DCGAN" "compute-sanitizer" "ncu"; do
  check "step '$name' passed" summary_has "$work/1" "^$name.* pass "
done
check "summary: benchmark table" summary_has "$work/1" "^ours-cuda-b8192-graph-fp32 "
check "summary: PyTorch rows" summary_has "$work/1" "^torch-cuda-b128-as_written "
check "summary: DCGAN table" summary_has "$work/1" "^torch-dcgan-cuda-b128-graph "
check "summary: ncu per-kernel table" summary_has "$work/1" "stub_kernel +2.00 +32 +10.0 +20.0"
check "archive: JSON results" archive_has "$work/1" "bench/ours-cuda-b64-eager-tf32.json"
check "archive: ptxas report" archive_has "$work/1" "ptxas.txt"
check "archive: training metrics" archive_has "$work/1" "train/dcgan.metrics.jsonl"
check "archive: ncu CSV" archive_has "$work/1" "ncu.csv"

echo "== 2. a benchmark that hangs after 3 measurements"
GAN_STUB_SECONDS=0.01 GAN_STUB_HANG_AFTER=3 RESULTS_DIR="$work/2" bash "$root/tools/device_check.sh" --rehearse \
  --time-scale 0.05 --budget 200 >"$work/2.log" 2>&1
rc=$?
check "exit 1 (rc $rc)" test "$rc" -eq 1
check "the MLP benchmark timed out" summary_has "$work/2" "^bench: MLP step.* timeout"
check "the 3 rows measured before it are in the summary" test "$(grep -cE "^ours-cuda-b64-" "$work/2/summary.txt")" -eq 3
check "and in bench.log" test "$(grep -cE "^ours-cuda-b64-" "$work/2/bench.log")" -ge 3
check "and their JSON in the archive" archive_has "$work/2" "bench/ours-cuda-b64-graph-fp32.json"
check "the steps after it still ran" summary_has "$work/2" "^ncu: one eager step +pass"
check "at most 8 files" test "$(files_in "$work/2")" -le 8

echo "== 3. a budget too small for everything"
start=$(date +%s%3N)
GAN_STUB_SECONDS=0.2 RESULTS_DIR="$work/3" bash "$root/tools/device_check.sh" --rehearse --time-scale 0.05 \
  --budget 4 >"$work/3.log" 2>&1
rc=$?
elapsed=$(($(date +%s%3N) - start))
check "exit 3: passed but incomplete (rc $rc)" test "$rc" -eq 3
check "the build ran" summary_has "$work/3" "^configure \+ build.* pass "
check "ncu was skipped for the budget" summary_has "$work/3" "^ncu: one eager step +skipped \(budget"
check "ended within the budget + 2 s ($elapsed ms)" test "$elapsed" -le 6000
check "at most 8 files" test "$(files_in "$work/3")" -le 8

echo "== 4. a SIGTERM in the middle"
GAN_STUB_SECONDS=0.01 GAN_STUB_HANG_AFTER=2 RESULTS_DIR="$work/4" setsid bash "$root/tools/device_check.sh" \
  --rehearse --time-scale 0.2 --budget 200 >"$work/4.log" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q "^ours-cuda-b64-graph-fp32-branches" "$work/4/bench.log" 2>/dev/null && break; sleep 0.1; done
kill -TERM "$pid"
wait "$pid"
rc=$?
check "exit 143 (rc $rc)" test "$rc" -eq 143
check "summary written" summary_has "$work/4" "^training runs.* pass "
check "summary has the rows measured" summary_has "$work/4" "^ours-cuda-b64-graph-fp32-branches "
check "archive written" archive_has "$work/4" "bench/ours-cuda-b64-graph-fp32.json"
sleep 0.5
check "no step left running" test -z "$(pgrep -f "gan-stub-hang" | head -n 1)"

echo "device rehearsal: $((failures == 0 ? 1 : 0)) passed, $((failures == 0 ? 0 : 1)) failed ($failures checks failed)"
((failures == 0))
