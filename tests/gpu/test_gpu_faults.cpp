// Failures that only a GPU has, on a GPU: a CUDA error in the middle of a run leaves the last
// checkpoint whole. (A batch too large for the card is refused before training: device_check.sh
// runs `gan train` with one, since the refusal is the CLI's.) Skips without a GPU.
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include "cuda/gpu_trainer.h"
#include "cuda_check.cuh"
#include "failing_trainer.h"
#include "gpu/gpu_test.h"
#include "model/model_spec.h"
#include "test_util.h"
#include "train/config.h"

namespace gan {
namespace {

TEST(GpuFaults, ACudaErrorMidRunKeepsTheLastCheckpoint) {
  GAN_REQUIRE_GPU();
  testing::ScratchDir dir;
  const Dataset data = testing::mid_run_failure_data();
  const TrainConfig config = testing::mid_run_failure_config(dir.path("run"));
  GpuTrainerOptions options;
  options.max_batch = 16;
  GpuTrainer gpu(make_model_spec(config, 28, 28), data, options);
  // A real failed CUDA call between two steps: a device-to-device copy from an invalid pointer.
  // (It is not sticky, so the rest of this test process keeps a working device.)
  testing::FailingTrainer failing(gpu, 12, [] {
    GAN_CHECK(cudaMemcpy(reinterpret_cast<void*>(16), reinterpret_cast<const void*>(32), 64,
                              cudaMemcpyDeviceToDevice));
  });
  const std::string message = testing::fail_mid_run(failing, config, data);
  EXPECT_NE(message.find("CUDA error"), std::string::npos) << message;
  cudaGetLastError();  // clear it for the tests after this one
}

}  // namespace
}  // namespace gan
