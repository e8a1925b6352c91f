#pragma once
// defines: ForwardingTrainer, FailingTrainer, NonfiniteAtStep, mid_run_failure_config,
// mid_run_failure_data, fail_mid_run, train_in_process — faults planted in a run, for the tests
// that what was saved survives them (a CUDA error thrown out of the loop on the CPU; a real
// failed CUDA call around the GPU trainer in tests/gpu/test_gpu_faults.cpp; a non-finite step
// for --on-nan rollback).
#include <functional>
#include <map>
#include <string>

#include "data/dataset.h"
#include "model/trainer.h"
#include "train/config.h"
#include "train/train_loop.h"

namespace gan::testing {

// A Trainer that passes every call to `inner`; the fault planters below change one or two.
class ForwardingTrainer : public Trainer {
 public:
  explicit ForwardingTrainer(Trainer& inner) : inner_(inner) {}
  std::string description() const override { return inner_.description(); }
  const ModelSpec& spec() const override { return inner_.spec(); }
  void train_step(const StepPosition& position) override { inner_.train_step(position); }
  StepStats last_stats() override { return inner_.last_stats(); }
  uint64_t first_nonfinite_step() override { return inner_.first_nonfinite_step(); }
  void generate(const float* z, const int32_t* labels, int64_t count, float* images) override {
    inner_.generate(z, labels, count, images);
  }
  StepTrace last_step_trace(bool with_gradients) override { return inner_.last_step_trace(with_gradients); }
  TrainerState state() override { return inner_.state(); }
  void load_state(const TrainerState& state) override { inner_.load_state(state); }

 protected:
  Trainer& inner_;
};

// Runs `inner`, but before step `fail_at` calls `fail`, which is expected to throw.
class FailingTrainer : public ForwardingTrainer {
 public:
  FailingTrainer(Trainer& inner, uint64_t fail_at, std::function<void()> fail)
      : ForwardingTrainer(inner), fail_at_(fail_at), fail_(std::move(fail)) {}
  void train_step(const StepPosition& position) override {
    if (position.step == fail_at_) fail_();
    inner_.train_step(position);
  }

 private:
  uint64_t fail_at_;
  std::function<void()> fail_;
};

// Runs `inner`, but step `at` on noise stream 0 counts as non-finite, as if its loss had been
// NaN. (An absurd learning rate makes real NaNs, but cannot choose their step.)
class NonfiniteAtStep : public ForwardingTrainer {
 public:
  NonfiniteAtStep(Trainer& inner, uint64_t at) : ForwardingTrainer(inner), at_(at) {}
  void train_step(const StepPosition& position) override {
    inner_.train_step(position);
    if (position.step == at_ && position.noise_stream == 0 && flagged_ == 0) flagged_ = at_;
  }
  uint64_t first_nonfinite_step() override { return flagged_ != 0 ? flagged_ : inner_.first_nonfinite_step(); }
  void load_state(const TrainerState& state) override {
    inner_.load_state(state);
    flagged_ = 0;
  }

 private:
  uint64_t at_;
  uint64_t flagged_ = 0;
};

// The run those tests make: a small MLP (latent 8, G 32, D 16) on 100 random 28x28 images, 20
// steps of 16, a checkpoint every 5, into `folder`; `changes` overrides any of these keys. The
// trainer is built from its model.
TrainConfig mid_run_failure_config(const std::string& folder, const std::map<std::string, std::string>& changes = {});
Dataset mid_run_failure_data();

// Runs the training loop on `trainer` from `start` into config.out (a new run folder when
// start.step is 0, else the run's own), as `gan train` would; returns what it printed.
std::string train_in_process(Trainer& trainer, const TrainConfig& config, const Dataset& data,
                             const LoopStart& start = LoopStart{});

// That run with `trainer`, which fails before step 12: checks that the failure escapes the loop
// as a CudaError, and that last.safetensors is step 10's, whole, with no temporary file left
// beside it. Returns the error's message.
std::string fail_mid_run(Trainer& trainer, const TrainConfig& config, const Dataset& data);

}  // namespace gan::testing
