#include "cpu/dcgan_trainer.h"

#include <cmath>

#include "cpu/dcgan_step.h"
#include "model/dcgan_spec.h"
#include "model/random_streams.h"
#include "util/error.h"

namespace gan {

DcganCpuTrainer::DcganCpuTrainer(const ModelSpec& spec, const Dataset& dataset, const CpuTrainerOptions& options)
    : CpuTrainer(spec, dataset, options) {
  if (spec_.kind != "dcgan") throw Error("internal: DcganCpuTrainer needs the dcgan model");
  if (dataset_.height != 28 || dataset_.width != 28) {
    throw Error("--model dcgan: needs 28x28 images, " + dataset_.images_path + " holds " +
                std::to_string(dataset_.height) + "x" + std::to_string(dataset_.width));
  }
}

void DcganCpuTrainer::train_step(const StepPosition& at) {
  const int64_t B = at.batch, pixels = spec_.image_size(), latent = spec_.latent_dim;
  check_dcgan_batch(B);
  if (at.offset < 0 || at.offset + B > dataset_.count) {
    throw Error("internal: batch [" + std::to_string(at.offset) + ", +" + std::to_string(B) + ") outside the data");
  }
  const std::vector<uint32_t>& order = order_of_epoch(at.epoch);
  real_.resize(static_cast<size_t>(B * pixels));
  gather_normalize(dataset_, order.data() + at.offset, B, options_.norm_mean, options_.norm_std, real_.data());
  z_d_.resize(static_cast<size_t>(B * latent));
  fill_normal(options_.seed, RandomPurpose::kNoiseDiscriminator, at.noise_key(), z_d_.data(), B * latent);

  z_g_.resize(static_cast<size_t>(B * latent));
  fill_normal(options_.seed, RandomPurpose::kNoiseGenerator, at.noise_key(), z_g_.data(), B * latent);

  const DcganStepLosses losses = dcgan_step(spec_, options_.adam, state_.generator, state_.discriminator, real_.data(),
                                            z_d_.data(), z_g_.data(), B, &d_grads_, &g_grads_);
  record_stats(at.step, losses.d_real_half, losses.d_fake_half, losses.g_step);
}

}  // namespace gan
