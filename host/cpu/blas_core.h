#pragma once
// defines: BlasCore, inspect_blas_core, BlasCoreAction, decide_blas_core, choose_blas_core — is OpenBLAS running kernels this
// processor can beat?
//
// Debian's OpenBLAS 0.3.21 picks its kernels at load time from the processor's model. A
// processor newer than the library (an Intel Xeon with AVX512-FP16, for one) is not recognised,
// and it falls back to its generic "Prescott" SSE kernels: the CPU step then takes 75-79 ms at
// batch 128 instead of 25 (issue 16). The variable OPENBLAS_CORETYPE chooses the kernels instead,
// but only when it is set before the library loads.
#include <string>

namespace gan {

struct BlasCore {
  std::string running;    // openblas_get_corename(): "SkylakeX", "Haswell", "Prescott", ...
  std::string best;       // the best core type this processor supports: "SkylakeX", "Haswell",
                          // "Sandybridge", or "" (nothing better than the generic kernels)
  bool generic = false;   // `running` is one of the generic fallbacks while `best` is not empty
  bool from_environment = false;  // OPENBLAS_CORETYPE was set when this process started
};

BlasCore inspect_blas_core();

// What to do about a core: nothing; restart with OPENBLAS_CORETYPE = core.best (OpenBLAS fell
// back on its own); or warn (someone set a generic core on purpose: their choice is kept, since
// it may avoid a library bug on that processor).
enum class BlasCoreAction { kNone, kRestartWithBest, kWarn };
BlasCoreAction decide_blas_core(const BlasCore& core);

// The first thing main() does. When OpenBLAS fell back to its generic kernels on its own, sets
// OPENBLAS_CORETYPE to the best core type and re-executes this program (argv) so that OpenBLAS
// loads with it; returns only if it did not re-execute. Returns a note for the user ("" when
// there is nothing to say): what was chosen after such a restart, or, when OPENBLAS_CORETYPE was
// set by someone to a generic core on a processor that supports better, what to set instead
// (their choice is kept: it may avoid a library bug on that processor).
std::string choose_blas_core(char** argv);

}  // namespace gan
