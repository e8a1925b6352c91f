#include "cpu/dcgan_trainer.h"

#include <cmath>

#include "cpu/dcgan.h"
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
  NetworkState& g = state_.generator;
  NetworkState& d = state_.discriminator;
  const std::vector<uint32_t>& order = order_of_epoch(at.epoch);
  real_.resize(static_cast<size_t>(B * pixels));
  gather_normalize(dataset_, order.data() + at.offset, B, options_.norm_mean, options_.norm_std, real_.data());
  z_d_.resize(static_cast<size_t>(B * latent));
  fill_normal(options_.seed, RandomPurpose::kNoiseDiscriminator, at.noise_key(), z_d_.data(), B * latent);

  // ---- D step: D(real) and D(G(z_d)) as two passes; their gradients add.
  DcganGeneratorPass<float> g_pass;
  dcgan_generator_forward(spec_, g.params.data(), g.buffers.data(), z_d_.data(), B, &g_pass);
  DcganDiscriminatorPass<float> real_pass, fake_pass;
  dcgan_discriminator_forward(spec_, d.params.data(), d.buffers.data(), real_.data(), B, &real_pass);
  dcgan_discriminator_forward(spec_, d.params.data(), d.buffers.data(), g_pass.image.data(), B, &fake_pass);
  std::vector<float> dlogit(static_cast<size_t>(B)), fake_grads(d.params.size());
  const BceStats real_bce = bce_with_logits(real_pass.logits.data(), B, 0, dlogit.data());
  d_grads_.resize(d.params.size());
  dcgan_discriminator_backward(spec_, d.params.data(), real_pass, dlogit.data(), d_grads_.data(), static_cast<float*>(nullptr));
  const BceStats fake_bce = bce_with_logits(fake_pass.logits.data(), 0, B, dlogit.data());
  dcgan_discriminator_backward(spec_, d.params.data(), fake_pass, dlogit.data(), fake_grads.data(), static_cast<float*>(nullptr));
  for (size_t i = 0; i < d_grads_.size(); ++i) d_grads_[i] += fake_grads[i];
  adam_update(d.params.data(), d_grads_.data(), d.exp_avg.data(), d.exp_avg_sq.data(), d.params.size(), options_.adam,
              ++d.adam_step);

  // ---- G step: fresh z_g, BCE(D(G(z_g)), 1) through the updated D; no weight gradients for D.
  z_g_.resize(static_cast<size_t>(B * latent));
  fill_normal(options_.seed, RandomPurpose::kNoiseGenerator, at.noise_key(), z_g_.data(), B * latent);
  dcgan_generator_forward(spec_, g.params.data(), g.buffers.data(), z_g_.data(), B, &g_pass);
  DcganDiscriminatorPass<float> g_step_pass;
  dcgan_discriminator_forward(spec_, d.params.data(), d.buffers.data(), g_pass.image.data(), B, &g_step_pass);
  const BceStats g_bce = bce_with_logits(g_step_pass.logits.data(), B, 0, dlogit.data());
  std::vector<float> d_image(static_cast<size_t>(B * pixels));
  dcgan_discriminator_backward(spec_, d.params.data(), g_step_pass, dlogit.data(), static_cast<float*>(nullptr),
                               d_image.data());
  g_grads_.resize(g.params.size());
  dcgan_generator_backward(spec_, g.params.data(), z_g_.data(), g_pass, d_image.data(), g_grads_.data());
  adam_update(g.params.data(), g_grads_.data(), g.exp_avg.data(), g.exp_avg_sq.data(), g.params.size(), options_.adam,
              ++g.adam_step);

  record_stats(at.step, real_bce, fake_bce, g_bce);
}

}  // namespace gan
