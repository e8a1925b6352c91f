// Failures that only a GPU has, on a GPU: a CUDA error in the middle of a run leaves the last
// checkpoint whole. (A batch too large for the card is refused before training: device_check.sh
// runs `gan train` with one, since the refusal is the CLI's.) Skips without a GPU.
#include <cuda_runtime.h>
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "cuda/gpu_trainer.h"
#include "cuda_check.cuh"
#include "failing_trainer.h"
#include "gpu/gpu_test.h"
#include "model/model_spec.h"
#include "test_util.h"
#include "train/config.h"

namespace gan {
namespace {

// The run with a real failed CUDA call before step 12: a device-to-device copy from an invalid
// pointer. Returns 0 when the run stopped with a CUDA error and fail_mid_run's checks held (step
// 10's checkpoint whole, no temporary file), else 1; says what it found on stderr.
int fail_a_gpu_run_mid_way() {
  testing::ScratchDir dir;
  const Dataset data = testing::mid_run_failure_data();
  const TrainConfig config = testing::mid_run_failure_config(dir.path("run"));
  GpuTrainerOptions options;
  options.max_batch = 16;
  GpuTrainer gpu(make_model_spec(config, 28, 28), data, options);
  testing::FailingTrainer failing(gpu, 12, [] {
    GAN_CHECK(cudaMemcpy(reinterpret_cast<void*>(16), reinterpret_cast<const void*>(32), 64, cudaMemcpyDeviceToDevice));
  });
  // A child's own assertion failures never reach the parent's report: they are caught here and
  // written to stderr, which the parent prints when the child fails.
  ::testing::TestPartResultArray failures;
  std::string message;
  {
    ::testing::ScopedFakeTestPartResultReporter catcher(
        ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &failures);
    message = testing::fail_mid_run(failing, config, data);
  }
  for (int i = 0; i < failures.size(); ++i) std::fprintf(stderr, "%s\n", failures.GetTestPartResult(i).message());
  const bool cuda_error = message.find("CUDA error") != std::string::npos;
  std::fprintf(stderr, "fault test: the run stopped with \"%s\"; checkpoint checks %s\n", message.c_str(),
               failures.size() == 0 ? "passed" : "FAILED");
  return cuda_error && failures.size() == 0 ? 0 : 1;
}

// Whether that bad copy leaves the context usable is the driver's choice: it may be refused
// (cudaErrorInvalidValue, not sticky) or fault on the device (cudaErrorIllegalAddress, sticky:
// every later CUDA call in the process fails). So it runs in a child process, a death test, and
// the other GPU tests in this binary keep a working device either way. "threadsafe": the child is
// a fresh exec of this binary, since a process forked after CUDA was initialised (as every GPU test
// initialises it) cannot use CUDA.
TEST(GpuFaults, ACudaErrorMidRunKeepsTheLastCheckpoint) {
  GAN_REQUIRE_GPU();
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(std::_Exit(fail_a_gpu_run_mid_way()), ::testing::ExitedWithCode(0),
              "the run stopped with \".*CUDA error.*\"; checkpoint checks passed");
}

}  // namespace
}  // namespace gan
