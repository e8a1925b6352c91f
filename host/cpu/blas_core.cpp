#include "cpu/blas_core.h"

#include <cblas.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>

namespace gan {
namespace {

// Set (with the core that was running) just before the re-execution, so the restarted process
// can say what happened and never loops.
constexpr const char* kRestartMarker = "GAN_OPENBLAS_FELL_BACK_FROM";
// Set when gan chose OMP_WAIT_POLICY itself (the restarted process sees the variable, and must
// not take it for the user's).
constexpr const char* kWaitMarker = "GAN_CHOSE_OMP_WAIT_POLICY";
// Whether this process runs with the waiting gan chose (its marker is gone from the environment
// once choose_cpu_libraries has read it, so that the processes it starts do not inherit it).
bool gan_chose_waiting = false;

// OpenBLAS's x86-64 core types below Sandybridge: SSE kernels only.
bool is_generic(const std::string& core) {
  for (const char* name : {"Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Atom", "Katmai", "Coppermine",
                           "Northwood", "Banias", "Opteron", "Opteron_SSE3", "Barcelona", "Unknown"}) {
    if (core == name) return true;
  }
  return false;
}

std::string best_core_for_this_processor() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")) {
    return "SkylakeX";
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
  if (__builtin_cpu_supports("avx")) return "Sandybridge";
#endif
  return "";
}

}  // namespace

BlasCore inspect_blas_core() {
  BlasCore core;
  const char* name = openblas_get_corename();
  core.running = name ? name : "Unknown";
  core.best = best_core_for_this_processor();
  core.generic = !core.best.empty() && is_generic(core.running);
  core.from_environment = std::getenv("OPENBLAS_CORETYPE") != nullptr && std::getenv(kRestartMarker) == nullptr;
  return core;
}

BlasCoreAction decide_blas_core(const BlasCore& core) {
  if (!core.generic) return BlasCoreAction::kNone;
  return core.from_environment ? BlasCoreAction::kWarn : BlasCoreAction::kRestartWithBest;
}

ThreadWaiting inspect_thread_waiting() {
  ThreadWaiting waiting;
  const char* policy = std::getenv("OMP_WAIT_POLICY");
  const char* spins = std::getenv("GOMP_SPINCOUNT");
  waiting.from_environment =
      (policy != nullptr || spins != nullptr) && !gan_chose_waiting && std::getenv(kWaitMarker) == nullptr;
  if (policy) {
    waiting.policy = policy;
    for (char& c : waiting.policy) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  } else if (spins) {
    waiting.policy = std::string("GOMP_SPINCOUNT=") + spins;
  } else {
    waiting.policy = "libgomp's default (spin, then sleep)";
  }
  return waiting;
}

std::string describe(const ThreadWaiting& waiting) {
  if (waiting.from_environment) return "threads wait as you set: " + waiting.policy;
  if (waiting.policy == "PASSIVE") {
    return "threads wait passively (OMP_WAIT_POLICY=PASSIVE, gan's default; set OMP_WAIT_POLICY to choose)";
  }
  return "threads wait by " + waiting.policy;
}

std::string choose_cpu_libraries(char** argv) {
  const BlasCore core = inspect_blas_core();
  std::string note;
  if (const char* fell_back_from = std::getenv(kRestartMarker)) {
    note = "OpenBLAS did not recognise this processor and fell back to its generic " + std::string(fell_back_from) +
           " kernels; running with OPENBLAS_CORETYPE=" + core.running +
           " instead (set OPENBLAS_CORETYPE yourself to choose)";
    unsetenv(kRestartMarker);
  }
  // Both markers stay out of the environment of whatever this process starts.
  gan_chose_waiting = std::getenv(kWaitMarker) != nullptr;
  const bool restarted = gan_chose_waiting || !note.empty();
  unsetenv(kWaitMarker);
  BlasCoreAction action = decide_blas_core(core);
  if (restarted && action == BlasCoreAction::kRestartWithBest) action = BlasCoreAction::kNone;  // never loop
  if (action == BlasCoreAction::kWarn) {
    note = "OPENBLAS_CORETYPE=" + std::string(std::getenv("OPENBLAS_CORETYPE")) + " runs OpenBLAS's generic " +
           core.running + " kernels, but this processor supports its " + core.best +
           " kernels (about 3x faster for the CPU step): unset OPENBLAS_CORETYPE, or set it to " + core.best;
  }
  const bool choose_waiting =
      !restarted && std::getenv("OMP_WAIT_POLICY") == nullptr && std::getenv("GOMP_SPINCOUNT") == nullptr;
  if (action != BlasCoreAction::kRestartWithBest && !choose_waiting) return note;
  if (action == BlasCoreAction::kRestartWithBest) {
    setenv("OPENBLAS_CORETYPE", core.best.c_str(), 1);
    setenv(kRestartMarker, core.running.c_str(), 1);
  }
  if (choose_waiting) {
    setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
    setenv(kWaitMarker, "1", 1);
  }
  execv("/proc/self/exe", argv);
  // The re-execution failed (no /proc?): carry on as loaded, and say so.
  unsetenv(kRestartMarker);
  unsetenv(kWaitMarker);
  if (choose_waiting) unsetenv("OMP_WAIT_POLICY");
  if (action != BlasCoreAction::kRestartWithBest) return note;
  unsetenv("OPENBLAS_CORETYPE");
  return "OpenBLAS fell back to its generic " + core.running + " kernels on this processor, which supports its " +
         core.best + " kernels; set OPENBLAS_CORETYPE=" + core.best + " for a CPU step about 3x faster";
}

}  // namespace gan
