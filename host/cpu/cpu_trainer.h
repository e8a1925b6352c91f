#pragma once
// defines: CpuTrainer — the seed's GAN step from the reference ops, on OpenBLAS
#include <memory>

#include "cpu/mlp.h"
#include "data/dataset.h"
#include "train/trainer.h"
#include "train/trainer_state.h"

namespace gan {

struct CpuTrainerOptions : StepOptions {
  int threads = 0;  // OpenBLAS threads; 0 leaves OpenBLAS' default (every core)
};

class CpuTrainer : public Trainer {
 public:
  // Initialises both networks from the seed (PyTorch's nn.Linear init). `dataset` must outlive
  // the trainer.
  CpuTrainer(const ModelSpec& spec, const Dataset& dataset, const CpuTrainerOptions& options);

  std::string description() const override;  // "CPU (OpenBLAS, SkylakeX kernels, 2 threads)"
  const ModelSpec& spec() const override { return spec_; }
  void train_step(const StepPosition& position) override;
  StepStats last_stats() override { return stats_; }
  uint64_t first_nonfinite_step() override { return first_nonfinite_step_; }
  void generate(const float* z, int64_t count, float* images) override;
  TrainerState state() override { return state_; }
  StepTrace last_step_trace(bool with_gradients) override;
  void load_state(const TrainerState& state) override;

  // For tests: the gradients of the last step's D and G updates (before Adam).
  const std::vector<float>& discriminator_grads() const { return d_grads_; }
  const std::vector<float>& generator_grads() const { return g_grads_; }
  // The real batch and the two noises of the last step: [batch, H*W], [batch, latent] x 2.
  const std::vector<float>& last_real() const { return real_; }
  const std::vector<float>& last_noise_d() const { return z_d_; }
  const std::vector<float>& last_noise_g() const { return z_g_; }

 protected:  // DcganCpuTrainer runs another step on the same state and buffers
  const std::vector<uint32_t>& order_of_epoch(uint64_t epoch);
  // Records the step's statistics (D's real and fake halves may come from one BCE call or two)
  // and the first step whose losses are not finite.
  void record_stats(uint64_t step, const BceStats& d_real_half, const BceStats& d_fake_half, const BceStats& g_step);

  ModelSpec spec_;
  const Dataset& dataset_;
  CpuTrainerOptions options_;
  TrainerState state_;
  std::vector<float> d_grads_, g_grads_;
  StepStats stats_;
  uint64_t first_nonfinite_step_ = 0;

  uint64_t order_epoch_ = UINT64_MAX;
  std::vector<uint32_t> order_;

  // Buffers reused across steps.
  std::vector<float> real_, z_d_, z_g_;
  std::vector<float> d_input_;   // [2B, H*W]: the real batch, then G(z_d)
  std::vector<float> d_logit_grad_, d_image_grad_;
  MlpPass<float> g_pass_, d_pass_;
  MlpScratch<float> scratch_;
};

}  // namespace gan
