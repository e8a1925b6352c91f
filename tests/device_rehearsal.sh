#!/usr/bin/env bash
# A rehearsal of tools/device_check.sh on a machine without a GPU (tools/device_stub.sh stands in
# for every GPU program): what it must do within a few minutes of borrowed device time is tried
# here, where it costs none. No result depends on the machine's speed: the stubs take no time, a
# hang is an event the stub announces, the only clocks are a cap and a budget set to end a hang
# (never to race a step that works), and what they did is read from device_check's own record,
# not from a stopwatch; so a busy machine passes as an idle one does. Four runs:
#   1. every step passes, in the plan's order (correctness first, then the speed sweep with the
#      kernels and PyTorch first), exactly 8 files come back, the archive holds every result, the
#      summary has the benchmark and ncu tables; the plan fits the budget;
#   2. a benchmark that hangs after 3 measurements (its step times out at the cap set for it, the
#      rows measured before the cap are in the summary and the archive) and DCGAN measurements
#      that fail (bench/run.sh records the failure and measures the rows after them); the steps
#      after both still run;
#   3. a budget too small for everything: the GPU tests hang, and are cut when the budget runs
#      out; every later step is listed as skipped for the budget;
#   4. a SIGTERM in the middle (a device tool's own time-out): the summary and the archive are
#      still written, and the step that was running is stopped.
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
# The summary's step lines (between the table's header and the first blank line after it).
steps_of() { sed -n '/^step  *status  *time  *log$/,/^$/p' "$1/summary.txt" | sed '1d;$d'; }
device_check() { bash "$root/tools/device_check.sh" --rehearse "$@"; }
# Runs 1, 2 and 4 give every step ten times its cap and a budget nothing reaches: on a machine ten
# times slower than an idle one the stubs still finish far inside them, so no result depends on
# the machine's speed. (The plan's own budget is checked by its arithmetic, in run 1.)
ample=(--time-scale 10 --budget 100000)

# The order the issue asks for, by what matters most when time runs out.
order=("configure \+ build" "gan check" "GPU tests" "GPU failures" "parity" "compute-sanitizer memcheck"
  "compute-sanitizer racecheck" "32/64-pixel colour DCGAN" "training runs" "bench: kernels" "bench: PyTorch MLP"
  "bench: our MLP" "bench: where the step" "bench: DCGAN step" "bench: 64x64 colour DCGAN" "ncu: one eager step"
  "bench: 200 epochs")
in_order() {  # in_order RESULTS: the summary's steps are exactly $order, in that order
  local -a names
  mapfile -t names < <(steps_of "$1")
  ((${#names[@]} == ${#order[@]})) || { echo "  ${#names[@]} steps, not ${#order[@]}"; return 1; }
  local i
  for i in "${!order[@]}"; do
    [[ "${names[$i]}" =~ ^${order[$i]} ]] || { echo "  step $((i + 1)) is '${names[$i]}', not '${order[$i]}'"; return 1; }
  done
}

echo "== 1. every step"
plan=$(bash "$root/tools/device_check.sh" --plan | tail -n 1)
read -r planned budget < <(sed -E 's/^plan: ([0-9]+) s expected, budget ([0-9]+) s.*/\1 \2/' <<<"$plan")
check "the plan fits its budget ($plan)" test "$planned" -le "$budget"
# The build grows with the code: at nearly twice today's lines the plan still fits, by giving up
# the sweep's last steps (named as spare), never a correctness step.
grown=$(GAN_PLAN_SOURCE_LINES=45000 bash "$root/tools/device_check.sh" --plan)
read -r planned budget < <(tail -n 1 <<<"$grown" | sed -E 's/^plan: ([0-9]+) s expected, budget ([0-9]+) s.*/\1 \2/')
check "a grown build still fits ($(tail -n 1 <<<"$grown"))" test "$planned" -le "$budget"
check "and gives up sweep steps, named ($(grep '^spare' <<<"$grown"))" grep -q '^spare (run when time is left): .*dcgan64 ncu fullrun$' <<<"$grown"
check "no correctness step is spare" bash -c '! grep -E "^(build|check|tests|failures|parity|sanitizer|racecheck|canonical|train) .*\(spare\)" <<<"$1"' _ "$grown"
RESULTS_DIR="$work/1" device_check "${ample[@]}" >"$work/1.log" 2>&1
rc=$?
check "exit 0 (rc $rc)" test "$rc" -eq 0
check "every step, in the plan's order" in_order "$work/1"
check "every step passed" test "$(steps_of "$work/1" | grep -cv " pass ")" -eq 0
check "exactly 8 files" test "$(files_in "$work/1")" -eq 8
check "summary: benchmark table" summary_has "$work/1" "^ours-cuda-b8192-graph-fp32 "
check "summary: PyTorch rows" summary_has "$work/1" "^torch-cuda-b128-as_written "
check "summary: DCGAN table" summary_has "$work/1" "^torch-dcgan-cuda-b128-graph "
check "summary: ncu per-kernel table" summary_has "$work/1" "stub_kernel +2.00 +32 +10.0 +20.0"
check "archive: JSON results" archive_has "$work/1" "bench/ours-cuda-b128-eager-tf32.json"
check "archive: the kernels' JSON" archive_has "$work/1" "kernels/kernels-b128.json"
check "archive: ptxas report" archive_has "$work/1" "ptxas.txt"
check "archive: training metrics" archive_has "$work/1" "train/dcgan.metrics.jsonl"
check "archive: ncu CSV" archive_has "$work/1" "ncu.csv"

echo "== 2. a benchmark that hangs after 3 measurements, and DCGAN measurements that fail"
# The hang counts only our MLP rows' calls (they alone start "--device cuda --data"): on a busy
# machine the cap may come before the fourth, and the hang must not then fall on a later step.
GAN_STUB_HANG=bench_step:4 GAN_STUB_HANG_ARGS=" --device cuda --data *" GAN_STUB_FAIL_ARGS=" --conv-algos timed " RESULTS_DIR="$work/2" \
  device_check "${ample[@]}" --cap bench=2 >"$work/2.log" 2>&1
rc=$?
check "exit 1 (rc $rc)" test "$rc" -eq 1
check "our MLP rows timed out at their cap" summary_has "$work/2" "^bench: our MLP rows +timeout \(2.000 s\)"
# How many rows come before the cap depends on the machine's speed (up to 3, the hang's): whatever
# was measured must be kept. A row is measured when its JSON is written; the cap may fall between
# that and bench/run.sh's line in the log, so the log may be one short. (Run 4 holds a fixed count,
# its interruption being an event.)
measured=$(tar -tzf "$work/2/results.tar.gz" | grep -cE "bench/ours-cuda-b128-")
logged=$(grep -cE "^ours-cuda-b128-" "$work/2/bench.log")
check "no row after the hang ($measured measured)" test "$measured" -le 3
check "every row measured is in the summary" test "$(grep -cE "^ours-cuda-b128-" "$work/2/summary.txt")" -eq "$measured"
check "and in the log, but the last if the cap cut it ($logged logged)" \
  test "$logged" -le "$measured" -a "$logged" -ge $((measured - 1))
check "the DCGAN benchmark failed" summary_has "$work/2" "^bench: DCGAN step.* FAIL \(exit 1\)"
check "bench/run.sh said which measurement failed" \
  grep -q "bench: ours-dcgan-cuda-b128-graph-fp32-timed failed" "$work/2/bench.log"
check "the rows after the failures were measured" summary_has "$work/2" "^torch-dcgan-cuda-b128-graph "
check "the timed-any rows too" summary_has "$work/2" "^ours-dcgan-cuda-b128-graph-tf32-timed-any "
check "the steps after them still ran" summary_has "$work/2" "^ncu: one eager step +pass"
check "at most 8 files" test "$(files_in "$work/2")" -le 8

echo "== 3. a budget too small for everything"
# Expected times scaled to a hundredth (the build's 110 s to 1.1 s) fit the 20 s budget; the
# build and gan check (a few stub calls, well under a second) get caps beyond it, and the GPU
# tests hang with such a cap too, so the budget is what stops them and nothing else can.
GAN_STUB_HANG=gan_tests:1 RESULTS_DIR="$work/3" device_check --time-scale 0.01 --budget 20 \
  --cap build=1000 --cap check=1000 --cap tests=1000 >"$work/3.log" 2>&1
rc=$?
check "exit 3: passed but incomplete (rc $rc)" test "$rc" -eq 3
check "the build ran" summary_has "$work/3" "^configure \+ build.* pass "
check "gan check ran" summary_has "$work/3" "^gan check.* pass "
check "the GPU tests were cut at the budget" summary_has "$work/3" "^GPU tests.* cut at the budget"
check "every later step was skipped for the budget" \
  test "$(steps_of "$work/3" | grep -c "skipped (budget")" -eq $((${#order[@]} - 3))
check "at most 8 files" test "$(files_in "$work/3")" -le 8

echo "== 4. a SIGTERM in the middle"
# The stub announces its hang on a fifo; the test waits for that line (a generous guard of 120 s
# against a stub that never comes), then stops device_check as a device tool's time-out would.
mkfifo "$work/events"
exec {events}<>"$work/events"  # read-write: opening it never blocks
GAN_STUB_HANG=bench_step:2 GAN_STUB_NOTIFY="$work/events" RESULTS_DIR="$work/4" \
  setsid bash "$root/tools/device_check.sh" --rehearse "${ample[@]}" >"$work/4.log" 2>&1 &
pid=$!
hang=""
read -r -t 120 -u "$events" _ _ hang
check "the second measurement hung (pid ${hang:-none})" test -n "$hang"
session=$(ps -o sid= -p "$pid" | tr -d ' ')  # setsid: device_check and everything it started
kill -TERM "$pid"
wait "$pid"
rc=$?
check "exit 143 (rc $rc)" test "$rc" -eq 143
check "summary written" summary_has "$work/4" "^training runs.* pass "
check "summary has the PyTorch rows" summary_has "$work/4" "^torch-cuda-b8192-graph "
check "summary has our row measured" summary_has "$work/4" "^ours-cuda-b128-graph-fp32 "
check "archive written" archive_has "$work/4" "bench/ours-cuda-b128-graph-fp32.json"
# The hung program and the step's watchdog were sent SIGTERM; wait for every process of the call
# to be gone (tail --pid follows a process that is not our child), with a generous guard.
all_gone() {
  local p
  [[ -n "$1" ]] || return 1
  for p in $(pgrep -s "$1"); do timeout 60 tail --pid="$p" -f /dev/null || { ps -o pid,cmd -p "$p"; return 1; }; done
}
check "the hung step was stopped" all_gone "$session"

echo "device rehearsal: $((failures == 0 ? 1 : 0)) passed, $((failures == 0 ? 0 : 1)) failed ($failures checks failed)"
((failures == 0))
