#!/usr/bin/env bash
# Stands in for every GPU program in a rehearsal of tools/device_check.sh (--rehearse) on a
# machine without a GPU: nvidia-smi, nvcc, cmake (whose build makes the stub gan, bench_step,
# bench_kernels, bench_plan and gan_tests), ncu, compute-sanitizer, and python3 for the PyTorch scripts (any
# other Python goes to the real one, $GAN_STUB_REAL_PYTHON). Each answers as its real program would,
# in form only: the numbers are made up, and nothing waits on a clock. Knobs, for
# tests/device_rehearsal.sh:
#   GAN_STUB_HANG=PROGRAM:N      PROGRAM's N-th call hangs until it is killed (a step that overruns);
#                                PROGRAM is a stand-in's name (bench_step, gan_tests, ...) or a
#                                Python script's (torch_seed.py)
#   GAN_STUB_HANG_ARGS=PATTERN   with GAN_STUB_HANG, only calls whose " ARGS " match this bash glob
#                                are counted: the hang lands in the step meant, however few calls a
#                                busy machine lets that step make before its cap
#   GAN_STUB_NOTIFY=FILE         a hanging call first writes "hang PROGRAM PID" to FILE (a fifo: the
#                                test waits for that event, never for time)
#   GAN_STUB_FAIL_ARGS=TEXT      a call whose arguments contain TEXT fails (exit 1), as a never-run
#                                option might on a real card
#   GAN_STUB_COUNTER=PREFIX      where the calls are counted, a file per program (default under $TMPDIR)
set -uo pipefail
self=$(readlink -f "$0")
name=$(basename "$0")
counter=${GAN_STUB_COUNTER:-${TMPDIR:-/tmp}/gan-stub-counter.$PPID}

# arrive PROGRAM ARGS...: one call of PROGRAM, counted (when its arguments match
# GAN_STUB_HANG_ARGS, if set); it hangs or fails where a knob says so.
arrive() {
  local program=$1 n=0 file="$counter.$1"
  shift
  # shellcheck disable=SC2053 # the pattern is a glob on purpose
  if [[ -z "${GAN_STUB_HANG_ARGS:-}" || " $* " == $GAN_STUB_HANG_ARGS ]]; then
    [[ -s "$file" ]] && n=$(cat "$file")
    n=$((n + 1))
    echo "$n" >"$file"
  fi
  if ((n > 0)) && [[ "${GAN_STUB_HANG:-}" == "$program:$n" ]]; then
    [[ -n "${GAN_STUB_NOTIFY:-}" ]] && echo "hang $program $$" >>"$GAN_STUB_NOTIFY"
    exec -a gan-stub-hang sleep 100000
  fi
  if [[ -n "${GAN_STUB_FAIL_ARGS:-}" && " $* " == *"$GAN_STUB_FAIL_ARGS"* ]]; then
    echo "$program: (rehearsal stub) failing as asked: $*" >&2
    exit 1
  fi
}

# result FILE BATCH: a made-up benchmark result in bench_step's JSON form.
result() {
  cat >"$1" <<EOF
{"batch": $2, "ms_per_step_median": 0.5, "ms_per_step_p10": 0.49, "ms_per_step_p90": 0.52, "images_per_s": $(($2 * 2000)), "stub": true}
EOF
}

# The value after FLAG in the arguments, or DEFAULT.
value_of() {
  local flag=$1 default=$2
  shift 2
  while (($#)); do
    [[ "$1" == "$flag" ]] && { echo "$2"; return; }
    shift
  done
  echo "$default"
}

# Python is counted by its script (python3 itself runs everything, the real scripts too).
[[ "$name" != python3 ]] && arrive "$name" "$@"
case "$name" in
  nvidia-smi)
    case "$*" in
      *compute_cap*) echo "9.0" ;;
      *name,driver_version*) echo "Rehearsal stub GPU, 0.0" ;;
      *name*) echo "Rehearsal stub GPU" ;;
      *) echo "nvidia-smi (rehearsal stub): one GPU, Rehearsal stub GPU" ;;
    esac
    ;;
  nvcc) echo "nvcc (rehearsal stub)" ;;
  cmake)
    if [[ "${1:-}" == --version ]]; then echo "cmake version 0 (rehearsal stub)"; exit 0; fi
    if [[ "${1:-}" == --build ]]; then
      build=$2
      mkdir -p "$build/tests"
      for program in gan bench_step bench_kernels bench_plan; do ln -sf "$self" "$build/$program"; done
      ln -sf "$self" "$build/tests/gan_tests"
      echo "ptxas info    : Compiling entry function 'stub_kernel' for 'sm_90'"
      echo "ptxas info    : Used 32 registers, 0 bytes spill stores, 0 bytes spill loads"
      exit 0
    fi
    mkdir -p "$(value_of -B build-stub "$@")"
    echo "-- configured (rehearsal stub)"
    ;;
  gan)
    case "${1:-}" in
      check) echo "gan check: every check passes (rehearsal stub)" ;;
      train)
        out=$(value_of --out "" "$@")
        if [[ "$(value_of --batch 128 "$@")" == 60000 ]]; then
          echo "gan: error: keys latent_dim, g_hidden, d_hidden, batch: this model needs about 330 GB to train" \
            "(8700000000 parameters, batch 60000), but only 139 GB of memory on GPU 0 (Rehearsal stub GPU) is available" >&2
          exit 1
        fi
        [[ -n "$out" ]] && mkdir -p "$out/samples"
        for step in 1 2; do
          echo "{\"step\": $step, \"d_loss\": 1.0, \"g_loss\": 0.7, \"d_real\": 0.5, \"d_fake\": 0.5, \"ms_per_step\": 0.4, \"images_per_s\": 300000}"
        done >"$out/metrics.jsonl"
        trace=$(value_of --trace "" "$@")
        [[ -n "$trace" ]] && : >"$trace"
        echo "done (rehearsal stub)"
        ;;
      *) echo "gan (rehearsal stub): $*" ;;
    esac
    ;;
  gan_tests)
    echo "[==========] 40 tests from 15 test suites ran. (1 ms total)"
    echo "[  PASSED  ] 40 tests."
    ;;
  bench_step)
    plan=$(value_of --plan "" "$@")
    if [[ -n "$plan" && ! -s "$plan" ]]; then
      echo "bench_step: --plan $plan: cannot read it (bench_plan --json writes it)" >&2
      exit 1
    fi
    result "$(value_of --json /dev/null "$@")" "$(value_of --batch 128 "$@")"
    ;;
  bench_plan)
    echo '{"kernels": [], "stub": true}' >"$(value_of --json /dev/null "$@")"
    echo "plan (rehearsal stub)"
    ;;
  bench_kernels)
    echo '{"kernels": "rehearsal stub"}' >"$(value_of --json /dev/null "$@")"
    echo "kernels (rehearsal stub)"
    ;;
  ncu)
    if [[ " $* " == *" --import "* ]]; then
      echo '"ID","Kernel Name","gpu__time_duration.sum","launch__registers_per_thread","dram__throughput.avg.pct_of_peak_sustained_elapsed","sm__throughput.avg.pct_of_peak_sustained_elapsed"'
      echo '"","","nsecond","register/thread","%","%"'
      echo '"0","stub_kernel","2,000","32","10.0","20.0"'
    else
      report=$(value_of -o "" "$@")
      [[ -n "$report" ]] && : >"$report.ncu-rep"
    fi
    ;;
  compute-sanitizer)
    if [[ " $* " == *" racecheck "* ]]; then
      echo "========= RACECHECK SUMMARY: 0 hazards displayed (0 errors, 0 warnings) (rehearsal stub)"
    else
      echo "========= ERROR SUMMARY: 0 errors (rehearsal stub)"
    fi
    ;;
  python3)
    case "${1:-}" in
      -c)
        if [[ "${2:-}" == *"import torch"* ]]; then exit 0; fi
        exec "$GAN_STUB_REAL_PYTHON" "$@"
        ;;
      bench/torch_seed.py | bench/torch_dcgan.py)
        arrive "$(basename "$1")" "$@"
        json=$(value_of --json /dev/null "$@")
        if [[ " $* " == *" --epochs "* ]]; then
          echo '{"seconds_per_epoch": 6.0, "epochs": 1, "stub": true}' >"$json"
          exit 0
        fi
        for batch in $(value_of --batches "$(value_of --batch 128 "$@")" "$@"); do
          result "${json//\{batch\}/$batch}" "$batch"
        done
        ;;
      tools/torch_parity.py | tools/load_in_torch.py)
        arrive "$(basename "$1")" "$@"
        echo "PASS: (rehearsal stub) $1"
        ;;
      *) exec "$GAN_STUB_REAL_PYTHON" "$@" ;;
    esac
    ;;
  *)
    echo "device_stub: no stand-in for $name" >&2
    exit 127
    ;;
esac
