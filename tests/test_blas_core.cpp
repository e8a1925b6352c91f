// The OpenBLAS kernel choice (cpu/blas_core.h): a generic fallback is detected, acted on when
// OpenBLAS chose it alone, reported when someone forced it, and the restarted process says what
// it runs.
#include <gtest/gtest.h>

#include "cpu/blas_core.h"
#include "test_util.h"

namespace gan {
namespace {

// OpenBLAS's GEMMs chosen: the start line names its kernels only when it runs them.
const char* kRun =
    "train --device cpu --cpu-gemm openblas --threads 1 --steps 1 --batch 8 --g-hidden 16 --d-hidden 16 --sample-every 0";

TEST(BlasCore, TheDecisionFollowsWhoChoseTheGenericKernels) {
  BlasCore core;
  core.running = "Prescott";
  core.best = "SkylakeX";
  core.generic = true;
  EXPECT_EQ(decide_blas_core(core), BlasCoreAction::kRestartWithBest);  // OpenBLAS fell back alone
  core.from_environment = true;
  EXPECT_EQ(decide_blas_core(core), BlasCoreAction::kWarn);  // someone set it: kept, and reported
  core.generic = false;
  core.running = "SkylakeX";
  EXPECT_EQ(decide_blas_core(core), BlasCoreAction::kNone);
}

TEST(BlasCore, AGenericCoreSetInTheEnvironmentIsReported) {
  const BlasCore here = inspect_blas_core();
  if (here.best.empty()) GTEST_SKIP() << "this processor has nothing better than OpenBLAS's generic kernels";
  testing::ScratchDir dir;
  const testing::CommandResult r =
      testing::run_gan(std::string(kRun) + " --out " + dir.path("run"), "OPENBLAS_CORETYPE=Prescott");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("OPENBLAS_CORETYPE=Prescott runs OpenBLAS's generic Prescott kernels"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("set it to " + here.best), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("(OpenBLAS, Prescott kernels, 1 thread)"), std::string::npos) << r.output;
}

// The second half of a restart: the process that OpenBLAS loaded into with the chosen core type.
TEST(BlasCore, TheRestartedProcessSaysWhatItChose) {
  const BlasCore here = inspect_blas_core();
  if (here.best.empty()) GTEST_SKIP() << "this processor has nothing better than OpenBLAS's generic kernels";
  testing::ScratchDir dir;
  const testing::CommandResult r = testing::run_gan(std::string(kRun) + " --out " + dir.path("run"),
                                                    "OPENBLAS_CORETYPE=" + here.best +
                                                        " GAN_OPENBLAS_FELL_BACK_FROM=Prescott");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("fell back to its generic Prescott kernels; running with OPENBLAS_CORETYPE=" + here.best),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("(OpenBLAS, " + here.best + " kernels, 1 thread)"), std::string::npos) << r.output;
}

// End to end on this machine: whatever OpenBLAS detects by itself, gan runs non-generic kernels
// where the processor has them (on a processor OpenBLAS does not know, through the restart).
TEST(BlasCore, GanRunsTheBestKernelsThisProcessorSupports) {
  const BlasCore here = inspect_blas_core();
  if (here.best.empty()) GTEST_SKIP() << "this processor has nothing better than OpenBLAS's generic kernels";
  if (here.from_environment) GTEST_SKIP() << "OPENBLAS_CORETYPE is set here: the choice is not OpenBLAS's";
  testing::ScratchDir dir;
  const testing::CommandResult r = testing::run_gan(std::string(kRun) + " --out " + dir.path("run"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("Prescott kernels,"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("(OpenBLAS, "), std::string::npos) << r.output;
}

// How idle OpenMP threads wait: passively unless the user chose (a busy machine made the
// spinning default 30x slower: cpu/blas_core.h), and the start line says which.
TEST(ThreadWaiting, GanWaitsPassivelyUnlessTheUserChose) {
  const std::string two_threads = std::string(kRun).replace(std::string(kRun).find("--threads 1"), 11, "--threads 2");
  testing::ScratchDir dir;
  const testing::CommandResult chosen =
      testing::run_gan(two_threads + " --out " + dir.path("a"), "env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT");
  EXPECT_EQ(chosen.exit_code, 0) << chosen.output;
  EXPECT_NE(chosen.output.find("2 threads; threads wait passively (OMP_WAIT_POLICY=PASSIVE, gan's default"),
            std::string::npos)
      << chosen.output;
  const testing::CommandResult theirs =
      testing::run_gan(two_threads + " --out " + dir.path("b"), "OMP_WAIT_POLICY=active");
  EXPECT_EQ(theirs.exit_code, 0) << theirs.output;
  EXPECT_NE(theirs.output.find("threads wait as you set: ACTIVE"), std::string::npos) << theirs.output;
  const testing::CommandResult spins = testing::run_gan(two_threads + " --out " + dir.path("c"),
                                                        "env -u OMP_WAIT_POLICY GOMP_SPINCOUNT=1000");
  EXPECT_EQ(spins.exit_code, 0) << spins.output;
  EXPECT_NE(spins.output.find("threads wait as you set: GOMP_SPINCOUNT=1000"), std::string::npos) << spins.output;
}

}  // namespace
}  // namespace gan
