#include "failing_trainer.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "cuda_check.cuh"
#include "test_util.h"
#include "train/checkpoint.h"
#include "train/train_loop.h"

namespace gan::testing {

TrainConfig mid_run_failure_config(const std::string& folder) {
  return resolve_config("", {{"steps", "20"},
                             {"batch", "16"},
                             {"checkpoint_every", "5"},
                             {"sample_every", "0"},
                             {"log_every", "10"},
                             {"latent_dim", "8"},
                             {"g_hidden", "32"},
                             {"d_hidden", "16"},
                             {"out", folder}});
}

Dataset mid_run_failure_data() { return synthetic_dataset(100, 28, 28, 5); }

std::string fail_mid_run(Trainer& trainer, const TrainConfig& config, const Dataset& data) {
  const std::string folder = config.out;
  const RunFolder run = prepare_run_folder(folder, config, data, false);
  LoopOutput quiet;
  std::FILE* sink = std::tmpfile();
  quiet.out = sink;
  std::string message;
  try {
    run_training(config, data, trainer, run, quiet, LoopStart{}, nullptr);
    ADD_FAILURE() << "the run went on past its failure";
  } catch (const CudaError& e) {
    message = e.what();
  }
  std::fclose(sink);
  const Checkpoint kept = load_checkpoint(run.last_checkpoint, nullptr);  // throws if torn
  EXPECT_EQ(kept.position.step, 10u);
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    EXPECT_NE(entry.path().extension(), ".tmp") << "a temporary file was left: " << entry.path();
  }
  return message;
}

}  // namespace gan::testing
