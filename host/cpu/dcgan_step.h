#pragma once
// defines: DcganStepLosses, dcgan_step — one training step of the convolutional GAN on given
// inputs, a template over float (DcganCpuTrainer) and double (the tests' exact reference)
//
// The seed's step with the DCGAN: the D step BCE(D(x), 1) + BCE(D(G(z_d)), 0) with D(real) and
// D(fake) as two passes (one 2B pass would mix their BatchNorm statistics) whose gradients add,
// then the G step BCE(D(G(z_g)), 1) through the updated D. BatchNorm runs in training mode
// throughout and moves its running statistics on every forward pass, as PyTorch's would.
#include <vector>

#include "adam_settings.h"
#include "cpu/dcgan.h"
#include "cpu/ops.h"
#include "train/trainer.h"

namespace gan {

struct DcganStepLosses {
  BceStats d_real_half, d_fake_half, g_step;  // the D step's two BCE halves, the G step's BCE
};

// One step on the batch real [B, 784] and the noises z_d, z_g [B, latent]: updates both
// networks (parameters, Adam moments and step, running statistics) in place, and leaves the
// gradients of the D and G updates (before Adam) in d_grads and g_grads (resized as needed).
template <class T>
DcganStepLosses dcgan_step(const ModelSpec& spec, const AdamSettings& adam, NetworkValues<T>& g, NetworkValues<T>& d,
                           const T* real, const T* z_d, const T* z_g, int64_t B, std::vector<T>* d_grads_out,
                           std::vector<T>* g_grads_out, ConvCode code = ConvCode::kGemm) {
  DcganStepLosses losses;
  const int64_t pixels = spec.image_size();
  // ---- D step: D(real) and D(G(z_d)) as two passes; their gradients add.
  DcganGeneratorPass<T> g_pass;
  dcgan_generator_forward(spec, g.params.data(), g.buffers.data(), z_d, B, &g_pass, /*training=*/true, code);
  DcganDiscriminatorPass<T> real_pass, fake_pass;
  dcgan_discriminator_forward(spec, d.params.data(), d.buffers.data(), real, B, &real_pass, code);
  dcgan_discriminator_forward(spec, d.params.data(), d.buffers.data(), g_pass.image.data(), B, &fake_pass, code);
  std::vector<T> dlogit(static_cast<size_t>(B)), fake_grads(d.params.size());
  std::vector<T>& d_grads = *d_grads_out;
  d_grads.resize(d.params.size());
  losses.d_real_half = bce_with_logits(real_pass.logits.data(), B, 0, dlogit.data());
  dcgan_discriminator_backward(spec, d.params.data(), real_pass, dlogit.data(), d_grads.data(), static_cast<T*>(nullptr),
                               code);
  losses.d_fake_half = bce_with_logits(fake_pass.logits.data(), 0, B, dlogit.data());
  dcgan_discriminator_backward(spec, d.params.data(), fake_pass, dlogit.data(), fake_grads.data(),
                               static_cast<T*>(nullptr), code);
  for (size_t i = 0; i < d_grads.size(); ++i) d_grads[i] += fake_grads[i];
  adam_update(d.params.data(), d_grads.data(), d.exp_avg.data(), d.exp_avg_sq.data(), d.params.size(), adam,
              ++d.adam_step);

  // ---- G step: fresh z_g, BCE(D(G(z_g)), 1) through the updated D; no weight gradients for D.
  dcgan_generator_forward(spec, g.params.data(), g.buffers.data(), z_g, B, &g_pass, /*training=*/true, code);
  DcganDiscriminatorPass<T> g_step_pass;
  dcgan_discriminator_forward(spec, d.params.data(), d.buffers.data(), g_pass.image.data(), B, &g_step_pass, code);
  losses.g_step = bce_with_logits(g_step_pass.logits.data(), B, 0, dlogit.data());
  std::vector<T> d_image(static_cast<size_t>(B * pixels));
  dcgan_discriminator_backward(spec, d.params.data(), g_step_pass, dlogit.data(), static_cast<T*>(nullptr),
                               d_image.data(), code);
  std::vector<T>& g_grads = *g_grads_out;
  g_grads.resize(g.params.size());
  dcgan_generator_backward(spec, g.params.data(), z_g, g_pass, d_image.data(), g_grads.data(), code);
  adam_update(g.params.data(), g_grads.data(), g.exp_avg.data(), g.exp_avg_sq.data(), g.params.size(), adam,
              ++g.adam_step);
  return losses;
}

}  // namespace gan
