#include "failing_trainer.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <memory>

#include "util/error.h"
#include "test_util.h"
#include "train/checkpoint.h"
#include "train/train_loop.h"

namespace gan::testing {

TrainConfig mid_run_failure_config(const std::string& folder, const std::map<std::string, std::string>& changes) {
  std::map<std::string, std::string> flags = {{"steps", "20"},      {"batch", "16"},     {"checkpoint_every", "5"},
                                              {"sample_every", "0"}, {"log_every", "10"}, {"latent_dim", "8"},
                                              {"g_hidden", "32"},    {"d_hidden", "16"},  {"out", folder}};
  for (const auto& [key, value] : changes) flags[key] = value;
  return resolve_config("", flags);
}

std::string train_in_process(Trainer& trainer, const TrainConfig& config, const Dataset& data, const LoopStart& start) {
  const RunFolder run = prepare_run_folder(config.out, config, data, start.step > 0);
  const std::unique_ptr<std::FILE, int (*)(std::FILE*)> sink(std::tmpfile(), std::fclose);
  LoopOutput captured;
  captured.out = sink.get();
  run_training(config, data, trainer, run, captured, start, nullptr);
  std::string text;
  std::rewind(sink.get());
  char buffer[4096];
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, sink.get())) > 0;) text.append(buffer, n);
  return text;
}

Dataset mid_run_failure_data() { return synthetic_dataset(100, 28, 28, 5); }

std::string fail_mid_run(Trainer& trainer, const TrainConfig& config, const Dataset& data) {
  std::string message;
  try {
    train_in_process(trainer, config, data);
    ADD_FAILURE() << "the run went on past its failure";
  } catch (const CudaError& e) {
    message = e.what();
  }
  const Checkpoint kept = load_checkpoint((std::filesystem::path(config.out) / "last.safetensors").string(), nullptr);
  EXPECT_EQ(kept.position.step, 10u);  // load_checkpoint throws if the file is torn
  for (const auto& entry : std::filesystem::directory_iterator(config.out)) {
    EXPECT_NE(entry.path().extension(), ".tmp") << "a temporary file was left: " << entry.path();
  }
  return message;
}

}  // namespace gan::testing
