#include "cpu/cpu_trainer.h"

#include <cblas.h>
#include <omp.h>

#include <cmath>

#include "cpu/blas_core.h"
#include "cpu/canonical_dcgan.h"
#include "cpu/dcgan_model.h"
#include "cpu/mlp_model.h"
#include "cpu/ops.h"
#include "model/random_streams.h"
#include "util/error.h"
#include "util/parallel.h"

namespace gan {

std::unique_ptr<CpuGanModel<float>> make_cpu_model(const ModelSpec& spec) {
  switch (spec.kind) {
    case ModelKind::kMlp: return std::make_unique<MlpCpuModel<float>>(spec);
    case ModelKind::kDcgan:
      if (spec.dcgan.canonical()) return std::make_unique<CanonicalDcganCpuModel<float>>(spec);
      return std::make_unique<DcganCpuModel<float>>(spec);
  }
  throw InternalError("no CPU passes for this model kind");
}

CpuTrainer::CpuTrainer(const ModelSpec& spec, const Dataset& dataset, const CpuTrainerOptions& options)
    : spec_(spec), dataset_(dataset), options_(options), model_(make_cpu_model(spec_)) {
  if (dataset_.height != spec_.image_height || dataset_.width != spec_.image_width) {
    throw InputError("--model " + std::string(model_kind_name(spec_.kind)) + ": the model makes " +
                     std::to_string(spec_.image_height) + "x" + std::to_string(spec_.image_width) + " images, " +
                     dataset_.images_path + " holds " + std::to_string(dataset_.height) + "x" +
                     std::to_string(dataset_.width));
  }
  if (spec_.conditional()) check_dataset_labels(dataset_, spec_.classes);
  if (options_.threads > 0) {
    openblas_set_num_threads(options_.threads);
    omp_set_num_threads(options_.threads);  // oneDNN's threads are OpenMP's
  }
  set_worker_threads(options_.threads);
  set_cpu_gemm(options_.gemm);
  state_ = fresh_trainer_state(spec_, options_);
  augment_.policy = spec_.augment;  // its draws are filled each step
  model_->set_augment(&augment_);
  d_grads_.assign(spec_.discriminator.parameter_count, 0.0f);
  g_grads_.assign(spec_.generator.parameter_count, 0.0f);
}

std::string CpuTrainer::description() const {
  const int threads = openblas_get_num_threads();
  const std::string passes = model_->description();
  const std::string gemm = options_.gemm == CpuGemm::kOpenBlas
                               ? "OpenBLAS, " + inspect_blas_core().running + " kernels"
                               : std::string("oneDNN GEMMs");
  return "CPU (" + gemm + ", " + std::to_string(threads) + " thread" +
         (threads == 1 ? "" : "s") + (threads == 1 ? "" : "; " + describe(inspect_thread_waiting())) +
         (passes.empty() ? "" : "; " + passes) + ")";
}

const std::vector<uint32_t>& CpuTrainer::order_of_epoch(uint64_t epoch) {
  if (epoch != order_epoch_) {
    order_ = epoch_permutation(options_.seed, epoch, static_cast<uint32_t>(dataset_.count));
    order_epoch_ = epoch;
  }
  return order_;
}

void CpuTrainer::train_step(const StepPosition& at) {
  check_step_position(at, dataset_.count, dataset_.count);
  const int64_t B = at.batch;
  model_->check_batch(B);
  const int64_t latent = spec_.latent_dim;
  const std::vector<uint32_t>& order = order_of_epoch(at.epoch);
  real_.resize(static_cast<size_t>(B * spec_.image_size()));
  gather_normalize(dataset_, order.data() + at.offset, B, options_.norm_mean, options_.norm_std, real_.data());
  z_d_.resize(static_cast<size_t>(B * latent));
  fill_normal(options_.seed, RandomPurpose::kNoiseDiscriminator, at.noise_key(), z_d_.data(), B * latent);
  z_g_.resize(static_cast<size_t>(B * latent));
  fill_normal(options_.seed, RandomPurpose::kNoiseGenerator, at.noise_key(), z_g_.data(), B * latent);

  StepLabels labels;
  if (spec_.conditional()) {
    real_labels_.resize(static_cast<size_t>(B));
    for (int64_t i = 0; i < B; ++i) real_labels_[i] = dataset_.labels[order[at.offset + i]];
    fake_labels_d_.resize(static_cast<size_t>(B));
    fill_classes(options_.seed, RandomPurpose::kLabelDiscriminator, at.noise_key(), spec_.classes, fake_labels_d_.data(), B);
    fake_labels_g_.resize(static_cast<size_t>(B));
    fill_classes(options_.seed, RandomPurpose::kLabelGenerator, at.noise_key(), spec_.classes, fake_labels_g_.data(), B);
    labels = {real_labels_.data(), fake_labels_d_.data(), fake_labels_g_.data()};
  }

  if (spec_.augment.any()) {  // DiffAugment's draws for the step's three batches into D
    for (AugmentSite site : {AugmentSite::kReal, AugmentSite::kFakeD, AugmentSite::kFakeG}) {
      std::vector<float>& draws = augment_draws_[static_cast<int>(site)];
      draws.resize(static_cast<size_t>(B * kAugmentDraws));
      fill_augment_draws(options_.seed, at.noise_key(), site, B, spec_.image_height, spec_.image_width, draws.data());
      augment_.draws[static_cast<int>(site)] = draws.data();
    }
  }

  const StepLosses losses =
      gan_step(*model_, options_.adam, options_.discriminator_adam(), state_.generator, state_.discriminator,
               real_.data(), z_d_.data(), z_g_.data(), B, d_grads_.data(), g_grads_.data(), labels,
               &spec_.discriminator.spectral_norm);
  if (options_.ema_decay > 0) {  // G's average follows G's update (its adam_step counts the updates)
    ema_update(state_.generator_ema.data(), state_.generator.params.data(), state_.generator_ema.size(),
               ema_decay_at(options_.ema_decay, static_cast<uint64_t>(state_.generator.adam_step)));
  }
  record_stats(at.step, losses);
}

void CpuTrainer::record_stats(uint64_t step, const StepLosses& losses) {
  stats_.step = step;
  stats_.d_loss = losses.d_real_half.loss_real + losses.d_fake_half.loss_fake;
  stats_.g_loss = losses.g_step.loss_real;
  stats_.d_real = losses.d_real_half.prob_real;
  stats_.d_fake = losses.d_fake_half.prob_fake;
  stats_.d_fake_g = losses.g_step.prob_real;
  const bool finite = std::isfinite(stats_.d_loss) && std::isfinite(stats_.g_loss);
  if (!finite && first_nonfinite_step_ == 0) first_nonfinite_step_ = step;
}

void CpuTrainer::generate(const float* z, const int32_t* labels, int64_t count, float* images) {
  check_generate_labels(spec_, labels, count);
  model_->generate(state_.generator, z, labels, count, images);
}

StepTrace CpuTrainer::last_step_trace(bool with_gradients) {
  StepTrace trace{real_, z_d_, z_g_, real_labels_, fake_labels_d_, fake_labels_g_, {}, {}, {}};
  for (int site = 0; site < 3; ++site) trace.augment[site] = augment_draws_[site];
  if (with_gradients) {
    trace.d_grads = d_grads_;
    trace.g_grads = g_grads_;
  }
  return trace;
}

void CpuTrainer::load_state(const TrainerState& state) {
  check_trainer_state(spec_, options_, state);
  state_ = state;
  first_nonfinite_step_ = 0;
}

}  // namespace gan
