#pragma once
// defines: CpuGanModel, DiscriminatorLosses, StepLabels, StepLosses, generator_input, gan_step — the GAN step on the CPU,
// written once, over a model strategy
//
// gan_step is the seed's step for every model: the D step's passes, Adam on D, the G step's
// passes through the updated D, Adam on G. A CpuGanModel supplies the passes and owns their
// activations; CpuTrainer (cpu/cpu_trainer.h) supplies the batch, the noises and the state. It is
// a template over float (the trainer) and double (the tests' exact reference,
// tests/dcgan_yardstick.h), so the tests run the trainer's step, not a copy of it.
#include <cstdint>
#include <string>
#include <vector>

#include "adam_settings.h"
#include "cpu/augment.h"
#include "cpu/ops.h"
#include "cpu/spectral_norm.h"
#include "model/trainer.h"

namespace gan {

struct DiscriminatorLosses {
  BceStats real_half, fake_half;  // BCE(D(x), 1) and BCE(D(G(z)), 0); one BCE call may fill both
};

// The labels of a conditional step, [B] each, in 0 .. classes-1 (ModelSpec::classes); all null
// for an unconditional model.
struct StepLabels {
  const int32_t* real = nullptr;    // the real batch's classes, from the data
  const int32_t* fake_d = nullptr;  // the classes G(z_d) is asked for, drawn
  const int32_t* fake_g = nullptr;  // the classes G(z_g) is asked for, drawn
};

// DiffAugment for one step (--augment, model/augment.h): the policy and each site's draws
// [B, kAugmentDraws]. Set on the model before the step (CpuGanModel::set_augment).
struct StepAugment {
  AugmentPolicy policy;
  const float* draws[3] = {nullptr, nullptr, nullptr};  // by AugmentSite
};

struct StepLosses {
  BceStats d_real_half, d_fake_half, g_step;  // the D step's two halves, the G step's BCE
};

template <class T>
class CpuGanModel {
 public:
  virtual ~CpuGanModel() = default;
  // How the passes run, for the trainer's description ("" for the plain MLP).
  virtual std::string description() const = 0;
  // Throws InputError when a training batch of this size cannot go through the model.
  virtual void check_batch(int64_t batch) const {}
  // The D step's passes on real [B, H*W] and z [B, latent] (with labels.real and labels.fake_d
  // when conditional): every gradient of D's parameters into d_grads [D.parameter_count]
  // (overwritten); running statistics updated; no update.
  virtual DiscriminatorLosses discriminator_step(int64_t B, const T* real, const T* z, const StepLabels& labels,
                                                 NetworkValues<T>& g, NetworkValues<T>& d, T* d_grads) = 0;
  // The G step's passes: BCE(D(G(z, labels), labels), 1) (as its real half), G's gradients into
  // g_grads [G.parameter_count] (overwritten); D's parameters are read, not differentiated.
  // labels [B], or null when unconditional.
  virtual BceStats generator_step(int64_t B, const T* z, const int32_t* labels, NetworkValues<T>& g,
                                  NetworkValues<T>& d, T* g_grads) = 0;
  // images [count, H*W] = G(z [count, latent], labels [count] or null) in evaluation mode, in
  // [-1, 1].
  virtual void generate(const NetworkValues<T>& g, const T* z, const int32_t* labels, int64_t count, T* images) = 0;

  // The next steps' DiffAugment (null, or a policy with nothing on: none). Not owned.
  void set_augment(const StepAugment* augment) { augment_ = augment; }

 protected:
  // images [B, C*H*W] as D sees them at `site`: themselves, or augmented into *storage.
  const T* to_discriminator(const ModelSpec& spec, AugmentSite site, const T* images, int64_t B,
                            std::vector<T>* storage) const {
    if (augment_ == nullptr || !augment_->policy.any()) return images;
    storage->resize(static_cast<size_t>(B * spec.image_size()));
    diff_augment(augment_->policy, augment_->draws[static_cast<int>(site)], B, spec.channels, spec.image_height,
                 spec.image_width, images, storage->data());
    return storage->data();
  }
  // grad [B, C*H*W], in place: the gradient at D's input turned into that at the images given to
  // to_discriminator (the G step's fakes).
  void from_discriminator(const ModelSpec& spec, AugmentSite site, int64_t B, T* grad) const {
    if (augment_ == nullptr || !augment_->policy.any()) return;
    diff_augment_backward(augment_->policy, augment_->draws[static_cast<int>(site)], B, spec.channels,
                          spec.image_height, spec.image_width, grad);
  }

 private:
  const StepAugment* augment_ = nullptr;
};

// G's input for B rows: z [B, latent] itself, or for a conditional model cat(label_emb(labels), z)
// [B, label_dim + latent], written into *concatenated (which must outlive the pass's backward).
template <class T>
const T* generator_input(const ModelSpec& spec, const T* g_params, const T* z, const int32_t* labels, int64_t B,
                         std::vector<T>* concatenated) {
  if (!spec.conditional()) return z;
  const LabelEmbedding& label = spec.generator.label;
  concatenated->resize(static_cast<size_t>(B * (label.dim + spec.latent_dim)));
  concat_label_embedding(z, spec.latent_dim, g_params + label.offset, label.dim, labels, label.column, B,
                         concatenated->data());
  return concatenated->data();
}

// One step on the batch real [B, H*W] and the noises z_d, z_g [B, latent] (and, conditional, the
// labels): updates both networks in place (parameters, Adam moments and step, running
// statistics) and leaves the gradients of the D and G updates (before Adam) in d_grads and
// g_grads. g_adam and d_adam: each network's Adam settings (the learning rates may differ).
// spectral_norm: D's weights under spectral norm (cpu/spectral_norm.h), or null / empty for none:
// one power iteration at the start of the D step, and both steps' passes through W / sigma.
template <class T>
StepLosses gan_step(CpuGanModel<T>& model, const AdamSettings& g_adam, const AdamSettings& d_adam,
                    NetworkValues<T>& g, NetworkValues<T>& d,
                    const T* real, const T* z_d, const T* z_g, int64_t B, T* d_grads, T* g_grads,
                    const StepLabels& labels = {}, const std::vector<SpectralNormLayer>* spectral_norm = nullptr) {
  StepLosses losses;
  const bool normalised = spectral_norm != nullptr && !spectral_norm->empty();
  std::vector<T> d_own, sigmas;  // D's own parameters while its passes use W / sigma
  // ---- D step: BCE(D(x), 1) + BCE(D(G(z_d)), 0), then Adam on D.
  if (normalised) normalise_discriminator(*spectral_norm, d, /*iterate=*/true, &d_own, &sigmas);
  const DiscriminatorLosses d_losses = model.discriminator_step(B, real, z_d, labels, g, d, d_grads);
  if (normalised) {
    d.params.swap(d_own);
    spectral_norm_gradients(*spectral_norm, d.params, d.buffers, sigmas, d_grads);
  }
  losses.d_real_half = d_losses.real_half;
  losses.d_fake_half = d_losses.fake_half;
  adam_update(d.params.data(), d_grads, d.exp_avg.data(), d.exp_avg_sq.data(), d.params.size(), d_adam, ++d.adam_step);
  // ---- G step: BCE(D(G(z_g)), 1) through the updated D, then Adam on G.
  if (normalised) normalise_discriminator(*spectral_norm, d, /*iterate=*/false, &d_own, &sigmas);
  losses.g_step = model.generator_step(B, z_g, labels.fake_g, g, d, g_grads);
  if (normalised) d.params.swap(d_own);
  adam_update(g.params.data(), g_grads, g.exp_avg.data(), g.exp_avg_sq.data(), g.params.size(), g_adam, ++g.adam_step);
  return losses;
}

}  // namespace gan
