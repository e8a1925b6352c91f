#pragma once
// defines: FailingTrainer, fail_mid_run — a device failure in the middle of a run, for the tests
// that the last checkpoint survives it (a CUDA error thrown out of the loop on the CPU; a real
// failed CUDA call around the GPU trainer in tests/gpu/test_gpu_faults.cpp).
#include <functional>
#include <string>

#include "data/dataset.h"
#include "train/config.h"
#include "train/trainer.h"

namespace gan::testing {

// Runs `inner`, but before step `fail_at` calls `fail`, which is expected to throw.
class FailingTrainer : public Trainer {
 public:
  FailingTrainer(Trainer& inner, uint64_t fail_at, std::function<void()> fail)
      : inner_(inner), fail_at_(fail_at), fail_(std::move(fail)) {}
  std::string description() const override { return inner_.description(); }
  const ModelSpec& spec() const override { return inner_.spec(); }
  void train_step(const StepPosition& position) override {
    if (position.step == fail_at_) fail_();
    inner_.train_step(position);
  }
  StepStats last_stats() override { return inner_.last_stats(); }
  uint64_t first_nonfinite_step() override { return inner_.first_nonfinite_step(); }
  void generate(const float* z, int64_t count, float* images) override { inner_.generate(z, count, images); }
  StepTrace last_step_trace(bool with_gradients) override { return inner_.last_step_trace(with_gradients); }
  TrainerState state() override { return inner_.state(); }
  void load_state(const TrainerState& state) override { inner_.load_state(state); }

 private:
  Trainer& inner_;
  uint64_t fail_at_;
  std::function<void()> fail_;
};

// The run those tests make: a small MLP (latent 8, G 32, D 16) on 100 random 28x28 images, 20
// steps of 16, a checkpoint every 5, into `folder`. The trainer is built from its model.
TrainConfig mid_run_failure_config(const std::string& folder);
Dataset mid_run_failure_data();

// That run with `trainer`, which fails before step 12: checks that the failure escapes the loop
// as a CudaError, and that last.safetensors is step 10's, whole, with no temporary file left
// beside it. Returns the error's message.
std::string fail_mid_run(Trainer& trainer, const TrainConfig& config, const Dataset& data);

}  // namespace gan::testing
