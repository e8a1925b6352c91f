#pragma once
// defines: BlasCore, inspect_blas_core, BlasCoreAction, decide_blas_core, ThreadWaiting,
// inspect_thread_waiting, choose_cpu_libraries — what OpenBLAS and OpenMP read when they load:
// OpenBLAS's kernels, and how idle threads wait
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

// How OpenMP's idle threads wait at the end of a parallel region (libgomp reads OMP_WAIT_POLICY
// and GOMP_SPINCOUNT when it loads). By default libgomp spins for about 300,000 iterations
// before it sleeps, which costs nothing on an idle machine and everything on a busy one: the
// step has a few hundred barriers, and at each a thread spins through the time slice the
// other thread is waiting for. Measured on a 2-core AMD EPYC with two busy processes beside it
// (bench/RESULTS.md): the seed's MLP step 600 ms spinning, 31 ms waiting passively (18.7 ms
// idle). So gan waits passively unless the user chose.
struct ThreadWaiting {
  std::string policy;             // "PASSIVE", "ACTIVE", or "GOMP_SPINCOUNT=N"
  bool from_environment = false;  // the user set OMP_WAIT_POLICY or GOMP_SPINCOUNT
};
ThreadWaiting inspect_thread_waiting();
// "threads wait passively (OMP_WAIT_POLICY=PASSIVE, gan's default: set OMP_WAIT_POLICY to
// choose)", for the trainer's start line.
std::string describe(const ThreadWaiting& waiting);

// The first thing main() does: OpenBLAS and OpenMP read these settings only when they load, so
// gan sets them and re-executes itself (argv), once, when it must:
//   - OpenBLAS fell back to its generic kernels on its own: OPENBLAS_CORETYPE = the best core;
//   - neither OMP_WAIT_POLICY nor GOMP_SPINCOUNT is set: OMP_WAIT_POLICY=PASSIVE.
// A user's own settings are kept. Returns only if it did not re-execute, with a note for the
// user ("" when there is nothing to say): what was chosen after a kernel restart, or, when
// OPENBLAS_CORETYPE was set by someone to a generic core on a processor that supports better,
// what to set instead (their choice is kept: it may avoid a library bug on that processor).
std::string choose_cpu_libraries(char** argv);

}  // namespace gan
