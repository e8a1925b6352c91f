#include "cpu/blas_core.h"

#include <cblas.h>
#include <unistd.h>

#include <cstdlib>

namespace gan {
namespace {

// Set (with the core that was running) just before the re-execution, so the restarted process
// can say what happened and never loops.
constexpr const char* kRestartMarker = "GAN_OPENBLAS_FELL_BACK_FROM";

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

std::string choose_blas_core(char** argv) {
  const BlasCore core = inspect_blas_core();
  if (const char* fell_back_from = std::getenv(kRestartMarker)) {
    const std::string note = "OpenBLAS did not recognise this processor and fell back to its generic " +
                             std::string(fell_back_from) + " kernels; running with OPENBLAS_CORETYPE=" +
                             core.running + " instead (set OPENBLAS_CORETYPE yourself to choose)";
    unsetenv(kRestartMarker);
    return note;
  }
  const BlasCoreAction action = decide_blas_core(core);
  if (action == BlasCoreAction::kNone) return "";
  if (action == BlasCoreAction::kWarn) {
    return "OPENBLAS_CORETYPE=" + std::string(std::getenv("OPENBLAS_CORETYPE")) + " runs OpenBLAS's generic " +
           core.running + " kernels, but this processor supports its " + core.best +
           " kernels (about 3x faster for the CPU step): unset OPENBLAS_CORETYPE, or set it to " + core.best;
  }
  setenv("OPENBLAS_CORETYPE", core.best.c_str(), 1);
  setenv(kRestartMarker, core.running.c_str(), 1);
  execv("/proc/self/exe", argv);
  // The re-execution failed (no /proc?): carry on with the generic kernels, and say so.
  unsetenv("OPENBLAS_CORETYPE");
  unsetenv(kRestartMarker);
  return "OpenBLAS fell back to its generic " + core.running + " kernels on this processor, which supports its " +
         core.best + " kernels; set OPENBLAS_CORETYPE=" + core.best + " for a CPU step about 3x faster";
}

}  // namespace gan
