#pragma once
// defines: DcganCpuModel, dcgan_step — the convolutional GAN's passes on the CPU (cpu/dcgan.h),
// for gan_step; dcgan_step runs one whole step with them (the tests' entry point)
// (conditional: G's label table concatenated in front of z, D's projection term)
//
// D(real) and D(G(z_d)) run as two passes (one 2B pass would mix their BatchNorm statistics)
// whose gradients add. BatchNorm runs in training mode throughout and moves its running
// statistics on every forward pass, the G step's included, as PyTorch's would.
#include <algorithm>
#include <string>
#include <vector>

#include "cpu/cpu_model.h"
#include "cpu/dcgan.h"

namespace gan {

template <class T>
class DcganCpuModel : public CpuGanModel<T> {
 public:
  // code: the float convolutions' implementation (double always runs the plain loops).
  explicit DcganCpuModel(const ModelSpec& spec, ConvCode code = ConvCode::kGemm) : spec_(spec), code_(code) {}

  std::string description() const override {
    return code_ == ConvCode::kGemm ? "DCGAN: im2col + GEMM convolutions" : "DCGAN: plain-loop convolutions";
  }

  void check_batch(int64_t batch) const override { check_dcgan_batch(batch); }

  DiscriminatorLosses discriminator_step(int64_t B, const T* real, const T* z, const StepLabels& labels,
                                         NetworkValues<T>& g, NetworkValues<T>& d, T* d_grads) override {
    generator_forward(g.params.data(), g.buffers.data(), z, labels.fake_d, B, &g_pass_, /*training=*/true);
    // What D sees (DiffAugment's transforms when --augment); no gradient flows back in the D step.
    real = this->to_discriminator(spec_, AugmentSite::kReal, real, B, &augmented_real_);
    const T* fake = this->to_discriminator(spec_, AugmentSite::kFakeD, g_pass_.image.data(), B, &augmented_fake_);
    dcgan_discriminator_forward(spec_, d.params.data(), d.buffers.data(), real, B, &real_pass_, code_, labels.real);
    dcgan_discriminator_forward(spec_, d.params.data(), d.buffers.data(), fake, B, &fake_pass_, code_, labels.fake_d);
    logit_grad_.resize(static_cast<size_t>(B));
    fake_grads_.resize(d.params.size());
    DiscriminatorLosses losses;
    losses.real_half = discriminator_loss(spec_.loss, real_pass_.logits.data(), B, 0, logit_grad_.data());
    dcgan_discriminator_backward(spec_, d.params.data(), real_pass_, logit_grad_.data(), d_grads,
                                 static_cast<T*>(nullptr), code_);
    losses.fake_half = discriminator_loss(spec_.loss, fake_pass_.logits.data(), 0, B, logit_grad_.data());
    dcgan_discriminator_backward(spec_, d.params.data(), fake_pass_, logit_grad_.data(), fake_grads_.data(),
                                 static_cast<T*>(nullptr), code_);
    for (size_t i = 0; i < fake_grads_.size(); ++i) d_grads[i] += fake_grads_[i];
    return losses;
  }

  BceStats generator_step(int64_t B, const T* z, const int32_t* labels, NetworkValues<T>& g, NetworkValues<T>& d,
                          T* g_grads) override {
    const T* g_input = generator_forward(g.params.data(), g.buffers.data(), z, labels, B, &g_pass_, /*training=*/true);
    const T* fake = this->to_discriminator(spec_, AugmentSite::kFakeG, g_pass_.image.data(), B, &augmented_fake_);
    dcgan_discriminator_forward(spec_, d.params.data(), d.buffers.data(), fake, B, &real_pass_, code_, labels);
    logit_grad_.resize(static_cast<size_t>(B));
    const BceStats bce = generator_loss(spec_.loss, real_pass_.logits.data(), B, logit_grad_.data());
    image_grad_.resize(static_cast<size_t>(B * spec_.image_size()));
    dcgan_discriminator_backward(spec_, d.params.data(), real_pass_, logit_grad_.data(), static_cast<T*>(nullptr),
                                 image_grad_.data(), code_);
    this->from_discriminator(spec_, AugmentSite::kFakeG, B, image_grad_.data());
    dcgan_generator_backward(spec_, g.params.data(), g_input, g_pass_, image_grad_.data(), g_grads, code_, labels);
    return bce;
  }

  void generate(const NetworkValues<T>& g, const T* z, const int32_t* labels, int64_t count, T* images) override {
    // Evaluation mode: BatchNorm on the running statistics (read only; the pass takes a
    // writable pointer for training mode's sake).
    std::vector<T> buffers = g.buffers;
    DcganGeneratorPass<T> pass;
    generator_forward(g.params.data(), buffers.data(), z, labels, count, &pass, /*training=*/false);
    std::copy(pass.image.begin(), pass.image.end(), images);
  }

 private:
  // G(z), or G(cat(label_emb(labels), z)) when conditional; returns the pass's input (z, or the
  // concatenation held in g_input_ until the next call).
  const T* generator_forward(const T* params, T* buffers, const T* z, const int32_t* labels, int64_t B,
                             DcganGeneratorPass<T>* pass, bool training) {
    const T* input = generator_input(spec_, params, z, labels, B, &g_input_);
    dcgan_generator_forward(spec_, params, buffers, input, B, pass, training, code_);
    return input;
  }

  const ModelSpec& spec_;
  ConvCode code_;
  // Reused across steps.
  DcganGeneratorPass<T> g_pass_;
  DcganDiscriminatorPass<T> real_pass_, fake_pass_;  // the G step reuses real_pass_
  std::vector<T> logit_grad_;                        // [B]
  std::vector<T> fake_grads_;                        // [D.parameter_count]: the fake half's gradients
  std::vector<T> image_grad_;                        // [B, H*W]
  std::vector<T> augmented_real_, augmented_fake_;  // [B, H*W]: what D sees under --augment
  std::vector<T> g_input_;                           // [B, label_dim + latent]: conditional only
};

// One whole DCGAN step (gan_step with DcganCpuModel): what the tests run in double as the exact
// reference, and in float with either convolution code; both networks step with `adam`. d_grads and
// g_grads are resized.
template <class T>
StepLosses dcgan_step(const ModelSpec& spec, const AdamSettings& adam, NetworkValues<T>& g, NetworkValues<T>& d,
                      const T* real, const T* z_d, const T* z_g, int64_t B, std::vector<T>* d_grads,
                      std::vector<T>* g_grads, ConvCode code = ConvCode::kGemm, const StepLabels& labels = {}) {
  DcganCpuModel<T> model(spec, code);
  d_grads->resize(d.params.size());
  g_grads->resize(g.params.size());
  return gan_step<T>(model, adam, adam, g, d, real, z_d, z_g, B, d_grads->data(), g_grads->data(), labels,
                     &spec.discriminator.spectral_norm);
}

}  // namespace gan
