#include "cpu/cpu_trainer.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <thread>

#include "cpu/blas_core.h"
#include "cpu/generate.h"
#include "model/random_streams.h"
#include "util/error.h"
#include "util/parallel.h"

namespace gan {

CpuTrainer::CpuTrainer(const ModelSpec& spec, const Dataset& dataset, const CpuTrainerOptions& options)
    : spec_(spec), dataset_(dataset), options_(options) {
  if (options_.threads > 0) openblas_set_num_threads(options_.threads);
  set_worker_threads(options_.threads);
  state_ = fresh_trainer_state(spec_, options_.seed);
  d_grads_.assign(spec_.discriminator.parameter_count, 0.0f);
  g_grads_.assign(spec_.generator.parameter_count, 0.0f);
}

std::string CpuTrainer::description() const {
  const int threads = openblas_get_num_threads();
  return "CPU (OpenBLAS, " + inspect_blas_core().running + " kernels, " + std::to_string(threads) + " thread" +
         (threads == 1 ? "" : "s") + ")";
}

const std::vector<uint32_t>& CpuTrainer::order_of_epoch(uint64_t epoch) {
  if (epoch != order_epoch_) {
    order_ = epoch_permutation(options_.seed, epoch, static_cast<uint32_t>(dataset_.count));
    order_epoch_ = epoch;
  }
  return order_;
}

void CpuTrainer::train_step(const StepPosition& at) {
  const int64_t B = at.batch;
  const int64_t pixels = spec_.image_size();
  const int64_t latent = spec_.latent_dim;
  const NetworkSpec& G = spec_.generator;
  const NetworkSpec& D = spec_.discriminator;
  const float slope = spec_.slope;
  NetworkState& g = state_.generator;
  NetworkState& d = state_.discriminator;
  if (B <= 0 || at.offset < 0 || at.offset + B > dataset_.count) {
    throw Error("internal: batch [" + std::to_string(at.offset) + ", +" + std::to_string(B) + ") outside the data");
  }

  // ---- D step: BCE(D(x), 1) + BCE(D(G(z_d)), 0); real and fake as one 2B batch through D.
  const std::vector<uint32_t>& order = order_of_epoch(at.epoch);
  real_.resize(static_cast<size_t>(B * pixels));
  gather_normalize(dataset_, order.data() + at.offset, B, options_.norm_mean, options_.norm_std, real_.data());
  z_d_.resize(static_cast<size_t>(B * latent));
  fill_normal(options_.seed, RandomPurpose::kNoiseDiscriminator, at.noise_key(), z_d_.data(), B * latent);
  mlp_forward(G, slope, g.params.data(), z_d_.data(), B, &g_pass_);  // G(z_d): [B, H*W]

  d_input_.resize(static_cast<size_t>(2 * B * pixels));  // [2B, H*W] = [real; G(z_d)]
  std::copy(real_.begin(), real_.end(), d_input_.begin());
  std::copy(g_pass_.outputs.back().begin(), g_pass_.outputs.back().end(), d_input_.begin() + B * pixels);
  mlp_forward(D, slope, d.params.data(), d_input_.data(), 2 * B, &d_pass_);  // logits [2B, 1]

  d_logit_grad_.resize(static_cast<size_t>(2 * B));
  const BceStats d_bce = bce_with_logits(d_pass_.output(), B, B, d_logit_grad_.data());
  // Weight gradients for every D layer; no input gradient at D's first layer.
  mlp_backward(D, slope, d.params.data(), d_pass_, d_logit_grad_.data(), d_grads_.data(), static_cast<float*>(nullptr),
               &scratch_);
  adam_update(d.params.data(), d_grads_.data(), d.exp_avg.data(), d.exp_avg_sq.data(), D.parameter_count,
              options_.adam, ++d.adam_step);

  // ---- G step: fresh z_g, BCE(D(G(z_g)), 1) through the updated D.
  z_g_.resize(static_cast<size_t>(B * latent));
  fill_normal(options_.seed, RandomPurpose::kNoiseGenerator, at.noise_key(), z_g_.data(), B * latent);
  mlp_forward(G, slope, g.params.data(), z_g_.data(), B, &g_pass_);
  mlp_forward(D, slope, d.params.data(), g_pass_.output(), B, &d_pass_);
  d_logit_grad_.resize(static_cast<size_t>(B));
  const BceStats g_bce = bce_with_logits(d_pass_.output(), B, 0, d_logit_grad_.data());
  d_image_grad_.resize(static_cast<size_t>(B * pixels));
  // Through D for the input gradient only (D's weights are not updated by the G step).
  mlp_backward(D, slope, d.params.data(), d_pass_, d_logit_grad_.data(), static_cast<float*>(nullptr),
               d_image_grad_.data(), &scratch_);
  mlp_backward(G, slope, g.params.data(), g_pass_, d_image_grad_.data(), g_grads_.data(), static_cast<float*>(nullptr),
               &scratch_);
  adam_update(g.params.data(), g_grads_.data(), g.exp_avg.data(), g.exp_avg_sq.data(), G.parameter_count,
              options_.adam, ++g.adam_step);

  record_stats(at.step, d_bce, d_bce, g_bce);
}

void CpuTrainer::record_stats(uint64_t step, const BceStats& d_real_half, const BceStats& d_fake_half,
                              const BceStats& g_step) {
  stats_.step = step;
  stats_.d_loss = d_real_half.loss_real + d_fake_half.loss_fake;
  stats_.g_loss = g_step.loss_real;
  stats_.d_real = d_real_half.prob_real;
  stats_.d_fake = d_fake_half.prob_fake;
  stats_.d_fake_g = g_step.prob_real;
  const bool finite = std::isfinite(stats_.d_loss) && std::isfinite(stats_.g_loss);
  if (!finite && first_nonfinite_step_ == 0) first_nonfinite_step_ = step;
}

void CpuTrainer::generate(const float* z, int64_t count, float* images) {
  generate_images(spec_, state_.generator, z, count, images);
}

StepTrace CpuTrainer::last_step_trace(bool with_gradients) {
  StepTrace trace{real_, z_d_, z_g_, {}, {}};
  if (with_gradients) {
    trace.d_grads = d_grads_;
    trace.g_grads = g_grads_;
  }
  return trace;
}

void CpuTrainer::load_state(const TrainerState& state) {
  check_trainer_state(spec_, state);
  state_ = state;
  first_nonfinite_step_ = 0;
}

}  // namespace gan
