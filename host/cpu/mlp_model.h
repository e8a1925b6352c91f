#pragma once
// defines: MlpCpuModel — the seed's MLP GAN's passes on the CPU (cpu/mlp.h), for gan_step
#include <algorithm>
#include <string>
#include <vector>

#include "cpu/cpu_model.h"
#include "cpu/mlp.h"

namespace gan {

// Real and fake go through D as one batch of 2B rows: exact for the MLP (no layer mixes rows),
// and one GEMM per layer instead of two. D's first layer computes no input gradient.
template <class T>
class MlpCpuModel : public CpuGanModel<T> {
 public:
  explicit MlpCpuModel(const ModelSpec& spec) : spec_(spec) {}

  std::string description() const override { return ""; }

  DiscriminatorLosses discriminator_step(int64_t B, const T* real, const T* z, NetworkValues<T>& g,
                                         NetworkValues<T>& d, T* d_grads) override {
    const int64_t pixels = spec_.image_size();
    const T slope = spec_.slope;
    mlp_forward(spec_.generator, slope, g.params.data(), z, B, &g_pass_);  // G(z): [B, H*W]
    d_input_.resize(static_cast<size_t>(2 * B * pixels));                  // [2B, H*W] = [real; G(z)]
    std::copy(real, real + B * pixels, d_input_.begin());
    std::copy(g_pass_.outputs.back().begin(), g_pass_.outputs.back().end(), d_input_.begin() + B * pixels);
    mlp_forward(spec_.discriminator, slope, d.params.data(), d_input_.data(), 2 * B, &d_pass_);  // logits [2B, 1]
    logit_grad_.resize(static_cast<size_t>(2 * B));
    const BceStats bce = bce_with_logits(d_pass_.output(), B, B, logit_grad_.data());
    // Weight gradients for every D layer; no input gradient at D's first layer.
    mlp_backward(spec_.discriminator, slope, d.params.data(), d_pass_, logit_grad_.data(), d_grads,
                 static_cast<T*>(nullptr), &scratch_);
    return {bce, bce};
  }

  BceStats generator_step(int64_t B, const T* z, NetworkValues<T>& g, NetworkValues<T>& d, T* g_grads) override {
    const T slope = spec_.slope;
    mlp_forward(spec_.generator, slope, g.params.data(), z, B, &g_pass_);
    mlp_forward(spec_.discriminator, slope, d.params.data(), g_pass_.output(), B, &d_pass_);
    logit_grad_.resize(static_cast<size_t>(B));
    const BceStats bce = bce_with_logits(d_pass_.output(), B, 0, logit_grad_.data());
    image_grad_.resize(static_cast<size_t>(B * spec_.image_size()));
    // Through D for the input gradient only (D's weights are not updated by the G step).
    mlp_backward(spec_.discriminator, slope, d.params.data(), d_pass_, logit_grad_.data(), static_cast<T*>(nullptr),
                 image_grad_.data(), &scratch_);
    mlp_backward(spec_.generator, slope, g.params.data(), g_pass_, image_grad_.data(), g_grads,
                 static_cast<T*>(nullptr), &scratch_);
    return bce;
  }

  void generate(const NetworkValues<T>& g, const T* z, int64_t count, T* images) override {
    MlpPass<T> pass;
    mlp_forward(spec_.generator, static_cast<T>(spec_.slope), g.params.data(), z, count, &pass);
    std::copy(pass.output(), pass.output() + count * spec_.image_size(), images);
  }

 private:
  const ModelSpec& spec_;
  // Reused across steps.
  std::vector<T> d_input_;     // [2B, H*W]: the real batch, then G(z)
  std::vector<T> logit_grad_;  // [2B] in the D step, [B] in the G step
  std::vector<T> image_grad_;  // [B, H*W]: the G step's loss gradient at D's input
  MlpPass<T> g_pass_, d_pass_;
  MlpScratch<T> scratch_;
};

}  // namespace gan
