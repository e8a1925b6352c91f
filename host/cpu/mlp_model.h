#pragma once
// defines: MlpCpuModel — the seed's MLP GAN's passes on the CPU (cpu/mlp.h), for gan_step, and
// the conditional MLP's (a label table per network, its row concatenated to the first layer's
// input: model_spec.h, LabelEmbedding)
#include <algorithm>
#include <string>
#include <vector>

#include "cpu/cpu_model.h"
#include "cpu/mlp.h"

namespace gan {

// Real and fake go through D as one batch of 2B rows: exact for the MLP (no layer mixes rows),
// and one GEMM per layer instead of two. D's first layer computes no input gradient; the label
// tables' gradients come from the first layers' dZ (label_embedding_backward).
template <class T>
class MlpCpuModel : public CpuGanModel<T> {
 public:
  explicit MlpCpuModel(const ModelSpec& spec) : spec_(spec) {}

  std::string description() const override { return ""; }

  DiscriminatorLosses discriminator_step(int64_t B, const T* real, const T* z, const StepLabels& labels,
                                         NetworkValues<T>& g, NetworkValues<T>& d, T* d_grads) override {
    const int64_t pixels = spec_.image_size();
    const T slope = spec_.slope;
    generator_forward(g.params.data(), z, labels.fake_d, B, &g_pass_);  // G(z): [B, H*W]
    // What D sees (DiffAugment's transforms when --augment); no gradient flows back in the D step.
    real = this->to_discriminator(spec_, AugmentSite::kReal, real, B, &augmented_real_);
    const T* fake = this->to_discriminator(spec_, AugmentSite::kFakeD, g_pass_.output(), B, &augmented_fake_);
    // D's input [2B, in] = [real; G(z)], each row with its label's columns when conditional.
    const int64_t d_in = spec_.discriminator.layers.front().in;
    d_input_.resize(static_cast<size_t>(2 * B * d_in));
    if (spec_.conditional()) {
      const LabelEmbedding& label = spec_.discriminator.label;
      const T* table = d.params.data() + label.offset;
      concat_label_embedding(real, pixels, table, label.dim, labels.real, label.column, B, d_input_.data());
      concat_label_embedding(fake, pixels, table, label.dim, labels.fake_d, label.column, B,
                             d_input_.data() + B * d_in);
      d_labels_.assign(labels.real, labels.real + B);
      d_labels_.insert(d_labels_.end(), labels.fake_d, labels.fake_d + B);
    } else {
      std::copy(real, real + B * pixels, d_input_.begin());
      std::copy(fake, fake + B * pixels, d_input_.begin() + B * pixels);
    }
    mlp_forward(spec_.discriminator, slope, d.params.data(), d_input_.data(), 2 * B, &d_pass_,
                spec_.conditional() ? d_labels_.data() : nullptr);  // logits [2B, 1]
    logit_grad_.resize(static_cast<size_t>(2 * B));
    const BceStats bce = discriminator_loss(spec_.loss, d_pass_.output(), B, B, logit_grad_.data());
    // Weight gradients for every D layer; no input gradient at D's first layer.
    mlp_backward(spec_.discriminator, slope, d.params.data(), d_pass_, logit_grad_.data(), d_grads,
                 static_cast<T*>(nullptr), &scratch_);
    if (spec_.conditional()) label_grad(spec_.discriminator, d.params.data(), d_labels_.data(), 2 * B, d_grads);
    return {bce, bce};
  }

  BceStats generator_step(int64_t B, const T* z, const int32_t* labels, NetworkValues<T>& g, NetworkValues<T>& d,
                          T* g_grads) override {
    const T slope = spec_.slope;
    const int64_t pixels = spec_.image_size();
    generator_forward(g.params.data(), z, labels, B, &g_pass_);
    const T* fake = this->to_discriminator(spec_, AugmentSite::kFakeG, g_pass_.output(), B, &augmented_fake_);
    const T* d_input = fake;
    if (spec_.conditional()) {
      const LabelEmbedding& label = spec_.discriminator.label;
      d_input_.resize(static_cast<size_t>(B * (pixels + label.dim)));
      concat_label_embedding(fake, pixels, d.params.data() + label.offset, label.dim, labels,
                             label.column, B, d_input_.data());
      d_input = d_input_.data();
    }
    mlp_forward(spec_.discriminator, slope, d.params.data(), d_input, B, &d_pass_, labels);
    logit_grad_.resize(static_cast<size_t>(B));
    const BceStats bce = generator_loss(spec_.loss, d_pass_.output(), B, logit_grad_.data());
    // Through D for the input gradient only (D's weights are not updated by the G step). When
    // conditional, D's input gradient has the label's columns too; G needs the image's.
    const int64_t d_in = spec_.discriminator.layers.front().in;
    d_input_grad_.resize(static_cast<size_t>(B * d_in));
    mlp_backward(spec_.discriminator, slope, d.params.data(), d_pass_, logit_grad_.data(), static_cast<T*>(nullptr),
                 d_input_grad_.data(), &scratch_);
    T* image_grad = d_input_grad_.data();
    if (spec_.conditional()) {
      image_grad_.resize(static_cast<size_t>(B * pixels));
      const int64_t column = spec_.discriminator.label.column;  // the image's columns: all but [column, +dim)
      const int64_t dim = spec_.discriminator.label.dim;
      for (int64_t r = 0; r < B; ++r) {
        const T* row = d_input_grad_.data() + r * d_in;
        std::copy(row, row + column, image_grad_.data() + r * pixels);
        std::copy(row + column + dim, row + d_in, image_grad_.data() + r * pixels + column);
      }
      image_grad = image_grad_.data();
    }
    this->from_discriminator(spec_, AugmentSite::kFakeG, B, image_grad);
    mlp_backward(spec_.generator, slope, g.params.data(), g_pass_, image_grad, g_grads, static_cast<T*>(nullptr),
                 &scratch_);
    if (spec_.conditional()) label_grad(spec_.generator, g.params.data(), labels, B, g_grads);
    return bce;
  }

  void generate(const NetworkValues<T>& g, const T* z, const int32_t* labels, int64_t count, T* images) override {
    MlpPass<T> pass;
    std::vector<T> input;
    generator_forward(g.params.data(), z, labels, count, &pass, &input);
    std::copy(pass.output(), pass.output() + count * spec_.image_size(), images);
  }

 private:
  // G(z) [B, H*W], or G(cat(label_emb(labels), z)) when conditional; the concatenated input
  // lives in *input (which must outlive the pass's backward).
  void generator_forward(const T* params, const T* z, const int32_t* labels, int64_t B, MlpPass<T>* pass,
                         std::vector<T>* input = nullptr) {
    const T* x = generator_input(spec_, params, z, labels, B, input ? input : &g_input_);
    mlp_forward(spec_.generator, static_cast<T>(spec_.slope), params, x, B, pass);
  }

  // The label table's gradient into grads, from the first layer's dZ that mlp_backward leaves
  // in scratch_.upstream.
  void label_grad(const NetworkSpec& network, const T* params, const int32_t* labels, int64_t rows, T* grads) {
    const LinearLayer& first = network.layers.front();
    const LabelEmbedding& label = network.label;
    class_sums_.resize(static_cast<size_t>(label.classes * first.out));
    label_embedding_backward(scratch_.upstream.data(), params + first.weight_offset, first.in, first.out, label.column,
                             label.dim, labels, rows, label.classes, class_sums_.data(), grads + label.offset);
  }

  const ModelSpec& spec_;
  // Reused across steps.
  std::vector<T> g_input_;       // [B, classes + latent]: cat(label_emb(y), z), conditional only
  std::vector<T> d_input_;       // [2B, in]: the real batch, then G(z), with their labels' columns
  std::vector<int32_t> d_labels_;  // [2B]: the D step's labels, real then fake
  std::vector<T> logit_grad_;    // [2B] in the D step, [B] in the G step
  std::vector<T> d_input_grad_;  // [B, in]: the G step's loss gradient at D's input
  std::vector<T> image_grad_;    // [B, H*W]: its image columns, conditional only
  std::vector<T> augmented_real_, augmented_fake_;  // [B, H*W]: what D sees under --augment
  std::vector<T> class_sums_;    // [classes, first layer's out]
  MlpPass<T> g_pass_, d_pass_;
  MlpScratch<T> scratch_;
};

}  // namespace gan
