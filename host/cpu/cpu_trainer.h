#pragma once
// defines: CpuTrainerOptions, CpuTrainer, make_cpu_model — the GAN step on the CPU, for any
// model, on OpenBLAS
//
// CpuTrainer owns what every model shares: the data set's order, the noise, both networks'
// parameters, Adam state and running statistics, the statistics of the last step. The model's
// passes come from a CpuGanModel (cpu/cpu_model.h), chosen by spec.kind in make_cpu_model, and the
// step itself is gan_step.
#include <memory>

#include "cpu/cpu_model.h"
#include "data/dataset.h"
#include "cpu/cpu_gemm.h"
#include "model/trainer.h"
#include "model/trainer_state.h"

namespace gan {

struct CpuTrainerOptions : StepOptions {
  int threads = 0;  // OpenBLAS threads; 0 leaves OpenBLAS' default (every core)
  CpuGemm gemm = CpuGemm::kOneDnn;  // whose float GEMMs (--cpu-gemm; set for the process)
};

// The passes of the model spec.kind names, in float. `spec` must outlive the model.
std::unique_ptr<CpuGanModel<float>> make_cpu_model(const ModelSpec& spec);

class CpuTrainer : public Trainer {
 public:
  // Initialises both networks from the seed (PyTorch's init rules). `dataset` must outlive the
  // trainer, and its images must have the model's size.
  CpuTrainer(const ModelSpec& spec, const Dataset& dataset, const CpuTrainerOptions& options);
  // Neither copied nor moved: the model points into spec_ and at augment_, which a copy or a
  // move would leave behind.
  CpuTrainer(const CpuTrainer&) = delete;
  CpuTrainer& operator=(const CpuTrainer&) = delete;

  std::string description() const override;  // "CPU (OpenBLAS, SkylakeX kernels, 2 threads)"
  const ModelSpec& spec() const override { return spec_; }
  void train_step(const StepPosition& position) override;
  StepStats last_stats() override { return stats_; }
  uint64_t first_nonfinite_step() override { return first_nonfinite_step_; }
  void generate(const float* z, const int32_t* labels, int64_t count, float* images) override;
  TrainerState state() override { return state_; }
  StepTrace last_step_trace(bool with_gradients) override;
  void load_state(const TrainerState& state) override;

  // For tests: the gradients of the last step's D and G updates (before Adam).
  const std::vector<float>& discriminator_grads() const { return d_grads_; }
  const std::vector<float>& generator_grads() const { return g_grads_; }
  // The real batch and the two noises of the last step: [batch, H*W], [batch, latent] x 2; its
  // labels [batch] each (empty unless conditional).
  const std::vector<float>& last_real() const { return real_; }
  const std::vector<float>& last_noise_d() const { return z_d_; }
  const std::vector<float>& last_noise_g() const { return z_g_; }
  const std::vector<int32_t>& last_real_labels() const { return real_labels_; }
  const std::vector<int32_t>& last_fake_labels_d() const { return fake_labels_d_; }
  const std::vector<int32_t>& last_fake_labels_g() const { return fake_labels_g_; }

 private:
  const std::vector<uint32_t>& order_of_epoch(uint64_t epoch);
  void record_stats(uint64_t step, const StepLosses& losses);

  ModelSpec spec_;
  const Dataset& dataset_;
  CpuTrainerOptions options_;
  std::unique_ptr<CpuGanModel<float>> model_;  // points into spec_: declared after it
  TrainerState state_;
  std::vector<float> d_grads_, g_grads_;
  StepStats stats_;
  uint64_t first_nonfinite_step_ = 0;

  uint64_t order_epoch_ = UINT64_MAX;
  std::vector<uint32_t> order_;
  std::vector<float> real_, z_d_, z_g_;  // the last step's inputs
  std::vector<int32_t> real_labels_, fake_labels_d_, fake_labels_g_;
  std::vector<float> augment_draws_[3];  // by AugmentSite, [B, kAugmentDraws] each; empty without --augment
  StepAugment augment_;                  // the model's view of them
};

}  // namespace gan
