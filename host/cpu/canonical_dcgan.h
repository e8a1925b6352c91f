#pragma once
// defines: CanonicalPass, canonical_forward, canonical_backward, CanonicalDcganCpuModel — the
// canonical DCGAN (32 or 64 pixels, model/dcgan_spec.h: make_canonical_dcgan_spec) on the CPU:
// each network a list of (transposed) convolutions, BatchNorm and activations, run in a loop.
//
// As the seed's DCGAN (cpu/dcgan_model.h): D(real) and D(G(z_d)) are two passes whose gradients
// add, and BatchNorm runs in training mode in every pass, the G step's included. Conditional as
// the 28x28 model too: G's label row in front of z, D's projection term on its last conv's input.
#include <algorithm>
#include <string>
#include <vector>

#include "cpu/cpu_model.h"
#include "cpu/dcgan.h"
#include "model/dcgan_spec.h"

namespace gan {

// What a forward pass keeps for its backward pass.
template <class T>
struct CanonicalPass {
  int64_t batch = 0;
  const T* input = nullptr;           // [B, ...] the first layer's input, not owned
  const int32_t* labels = nullptr;    // [B]: the projection term's classes (D, conditional), not owned
  std::vector<std::vector<T>> conv;   // per layer: the convolution's output
  std::vector<std::vector<T>> out;    // per layer: after BatchNorm (if any) and the activation
  std::vector<BatchNormSaved<T>> bn;  // per layer (used where it has BatchNorm)

  const T* output() const { return out.back().data(); }
};

// The network's forward pass on x [B, first layer's input]. training: BatchNorm on the batch's
// statistics, moving the running ones in `buffers` (null: left alone); otherwise on the running
// statistics, which `buffers` must then hold. With a projection term (projection.classes > 0: a
// conditional D), labels [B] are the rows' classes and each logit gains <table[label], features>,
// the features being the last layer's input; labels must outlive the backward pass.
template <class T>
void canonical_forward(const ModelSpec& spec, const std::vector<CanonicalLayer>& layers, const T* params, T* buffers,
                       const T* x, int64_t B, bool training, CanonicalPass<T>* pass, ConvCode code = ConvCode::kGemm,
                       const LabelProjection& projection = {}, const int32_t* labels = nullptr) {
  if (!training && !buffers) throw InternalError("a canonical DCGAN network in evaluation mode needs its running statistics");
  pass->batch = B;
  pass->input = x;
  pass->labels = labels;
  pass->conv.resize(layers.size());
  pass->out.resize(layers.size());
  pass->bn.resize(layers.size());
  const T* in = x;
  for (size_t l = 0; l < layers.size(); ++l) {
    const CanonicalLayer& layer = layers[l];
    ConvShape s = layer.shape;
    s.batch = B;
    std::vector<T>& y = pass->conv[l];
    y.resize(static_cast<size_t>(B * layer.output_size()));
    if (layer.transposed) {
      deconv_forward(s, in, params + layer.weight, static_cast<const T*>(nullptr), y.data(), code);
    } else {
      conv_forward(s, in, params + layer.weight, static_cast<const T*>(nullptr), y.data(), code);
    }
    std::vector<T>& out = pass->out[l];
    out.resize(y.size());
    if (layer.batch_norm) {
      const int64_t channels = s.out_channels, plane = layer.output_size() / channels;
      const BatchNormSlots& bn = layer.bn;
      if (training) {
        batch_norm_forward(y.data(), B, channels, plane, params + bn.weight, params + bn.bias, spec.dcgan.bn_eps,
                           spec.dcgan.bn_momentum, buffers ? buffers + bn.running_mean : nullptr,
                           buffers ? buffers + bn.running_var : nullptr, out.data(), &pass->bn[l]);
      } else {
        batch_norm_inference(y.data(), B, channels, plane, params + bn.weight, params + bn.bias, spec.dcgan.bn_eps,
                             buffers + bn.running_mean, buffers + bn.running_var, out.data());
      }
    } else {
      std::copy(y.begin(), y.end(), out.begin());
    }
    activation_forward(layer.activation, static_cast<T>(layer.slope), out.data(), out.size());
    in = out.data();
  }
  if (projection.classes > 0) {
    const CanonicalLayer& last = layers.back();
    if (!labels || layers.size() < 2 || last.output_size() != 1 || last.activation != Activation::kIdentity ||
        last.input_size() != projection.features) {
      throw InternalError("a canonical DCGAN's projection term needs labels and a last layer to one logit");
    }
    label_projection_forward(pass->out[layers.size() - 2].data(), params + projection.offset, labels, B,
                             projection.features, pass->out.back().data());
  }
}

// Back-propagates d_output (the gradient at the last layer's output) through the pass. grads
// [parameter_count]: every gradient, overwritten, or null for none. d_input [B, first layer's
// input]: the gradient at the input, or null to skip it.
template <class T>
void canonical_backward(const NetworkSpec& network, const std::vector<CanonicalLayer>& layers, const T* params,
                        const CanonicalPass<T>& pass, const T* d_output, T* grads, T* d_input,
                        ConvCode code = ConvCode::kGemm) {
  const int64_t B = pass.batch;
  if (grads) std::fill(grads, grads + network.parameter_count, T(0));
  std::vector<T> dy(d_output, d_output + pass.out.back().size()), dz, dconv, dx;
  for (size_t l = layers.size(); l-- > 0;) {
    const CanonicalLayer& layer = layers[l];
    ConvShape s = layer.shape;
    s.batch = B;
    const int64_t size = layer.output_size();
    dz.resize(dy.size());
    activation_backward(layer.activation, static_cast<T>(layer.slope), pass.out[l].data(), dy.data(), dz.data(),
                        static_cast<T*>(nullptr), B, size);
    const T* d_conv = dz.data();
    if (layer.batch_norm) {
      const int64_t channels = s.out_channels, plane = size / channels;
      dconv.resize(dz.size());
      batch_norm_backward(pass.conv[l].data(), dz.data(), B, channels, plane, params + layer.bn.weight, pass.bn[l],
                          dconv.data(), grads ? grads + layer.bn.weight : nullptr, grads ? grads + layer.bn.bias : nullptr);
      d_conv = dconv.data();
    }
    const T* x = l == 0 ? pass.input : pass.out[l - 1].data();
    T* dw = grads ? grads + layer.weight : nullptr;
    T* into = nullptr;
    if (l > 0) {
      dx.resize(pass.out[l - 1].size());
      into = dx.data();
    } else {
      into = d_input;
    }
    if (into || dw) {
      if (layer.transposed) {
        deconv_backward(s, x, params + layer.weight, d_conv, into, dw, static_cast<T*>(nullptr), code);
      } else {
        conv_backward(s, x, params + layer.weight, d_conv, into, dw, static_cast<T*>(nullptr), code);
      }
    }
    const LabelProjection& projection = network.projection;
    if (l + 1 == layers.size() && projection.classes > 0) {
      // The projection term: into the features' gradient, and its table's gradient.
      label_projection_backward(x, params + projection.offset, pass.labels, d_conv, B, projection.features,
                                projection.classes, into, grads ? grads + projection.offset : static_cast<T*>(nullptr));
    }
    if (l > 0) dy.swap(dx);
  }
}

template <class T>
class CanonicalDcganCpuModel : public CpuGanModel<T> {
 public:
  explicit CanonicalDcganCpuModel(const ModelSpec& spec, ConvCode code = ConvCode::kGemm)
      : spec_(spec), code_(code), g_layers_(canonical_layers(spec, true)), d_layers_(canonical_layers(spec, false)) {}

  std::string description() const override {
    return "DCGAN " + std::to_string(spec_.image_height) + "x" + std::to_string(spec_.image_width) + "x" +
           std::to_string(spec_.channels) + (spec_.conditional() ? ", conditional" : "") +
           (code_ == ConvCode::kGemm ? ": im2col + GEMM convolutions" : ": plain-loop convolutions");
  }

  void check_batch(int64_t batch) const override { check_dcgan_batch(batch); }

  DiscriminatorLosses discriminator_step(int64_t B, const T* real, const T* z, const StepLabels& labels,
                                         NetworkValues<T>& g, NetworkValues<T>& d, T* d_grads) override {
    generator_forward(g.params.data(), g.buffers.data(), z, labels.fake_d, B, true, &g_pass_);
    // What D sees (DiffAugment's transforms when --augment); no gradient flows back in the D step.
    discriminator_forward(d, this->to_discriminator(spec_, AugmentSite::kReal, real, B, &augmented_real_), labels.real,
                          B, &real_pass_);
    discriminator_forward(d, this->to_discriminator(spec_, AugmentSite::kFakeD, g_pass_.output(), B, &augmented_fake_),
                          labels.fake_d, B, &fake_pass_);
    logit_grad_.resize(static_cast<size_t>(B));
    fake_grads_.resize(d.params.size());
    DiscriminatorLosses losses;
    losses.real_half = discriminator_loss(spec_.loss, real_pass_.output(), B, 0, logit_grad_.data());
    canonical_backward(spec_.discriminator, d_layers_, d.params.data(), real_pass_, logit_grad_.data(), d_grads,
                       static_cast<T*>(nullptr), code_);
    losses.fake_half = discriminator_loss(spec_.loss, fake_pass_.output(), 0, B, logit_grad_.data());
    canonical_backward(spec_.discriminator, d_layers_, d.params.data(), fake_pass_, logit_grad_.data(),
                       fake_grads_.data(), static_cast<T*>(nullptr), code_);
    for (size_t i = 0; i < fake_grads_.size(); ++i) d_grads[i] += fake_grads_[i];
    return losses;
  }

  BceStats generator_step(int64_t B, const T* z, const int32_t* labels, NetworkValues<T>& g, NetworkValues<T>& d,
                          T* g_grads) override {
    generator_forward(g.params.data(), g.buffers.data(), z, labels, B, true, &g_pass_);
    discriminator_forward(d, this->to_discriminator(spec_, AugmentSite::kFakeG, g_pass_.output(), B, &augmented_fake_),
                          labels, B, &real_pass_);
    logit_grad_.resize(static_cast<size_t>(B));
    const BceStats bce = generator_loss(spec_.loss, real_pass_.output(), B, logit_grad_.data());
    image_grad_.resize(static_cast<size_t>(B * spec_.image_size()));
    canonical_backward(spec_.discriminator, d_layers_, d.params.data(), real_pass_, logit_grad_.data(),
                       static_cast<T*>(nullptr), image_grad_.data(), code_);
    this->from_discriminator(spec_, AugmentSite::kFakeG, B, image_grad_.data());
    // A conditional G needs the gradient at its input for its label table; z's is not wanted.
    const LabelEmbedding& label = spec_.generator.label;
    const int64_t input_width = label.dim + spec_.latent_dim;
    if (spec_.conditional()) input_grad_.resize(static_cast<size_t>(B * input_width));
    canonical_backward(spec_.generator, g_layers_, g.params.data(), g_pass_, image_grad_.data(), g_grads,
                       spec_.conditional() ? input_grad_.data() : static_cast<T*>(nullptr), code_);
    if (spec_.conditional()) {
      // The table's gradient: its columns of the input gradient, summed per class.
      label_class_sums(input_grad_.data(), input_width, label.column, label.dim, labels, B, label.classes,
                       g_grads + label.offset);
    }
    return bce;
  }

  void generate(const NetworkValues<T>& g, const T* z, const int32_t* labels, int64_t count, T* images) override {
    std::vector<T> buffers = g.buffers;  // evaluation mode reads them; the pass takes a writable pointer
    CanonicalPass<T> pass;
    generator_forward(g.params.data(), buffers.data(), z, labels, count, false, &pass);
    std::copy(pass.out.back().begin(), pass.out.back().end(), images);
  }

 private:
  // G(z), or G(cat(label_emb(labels), z)) when conditional (the concatenation held in g_input_
  // until the next call).
  void generator_forward(const T* params, T* buffers, const T* z, const int32_t* labels, int64_t B, bool training,
                         CanonicalPass<T>* pass) {
    const T* input = generator_input(spec_, params, z, labels, B, &g_input_);
    canonical_forward(spec_, g_layers_, params, buffers, input, B, training, pass, code_);
  }

  // D(images), with the projection term of a conditional D on labels [B].
  void discriminator_forward(NetworkValues<T>& d, const T* images, const int32_t* labels, int64_t B,
                             CanonicalPass<T>* pass) {
    canonical_forward(spec_, d_layers_, d.params.data(), d.buffers.data(), images, B, true, pass, code_,
                      spec_.discriminator.projection, labels);
  }

  const ModelSpec& spec_;
  ConvCode code_;
  std::vector<CanonicalLayer> g_layers_, d_layers_;
  CanonicalPass<T> g_pass_, real_pass_, fake_pass_;  // the G step reuses real_pass_
  std::vector<T> logit_grad_;                        // [B]
  std::vector<T> fake_grads_;                        // [D.parameter_count]
  std::vector<T> image_grad_;                        // [B, C*H*W]
  std::vector<T> augmented_real_, augmented_fake_;  // [B, C*H*W]: what D sees under --augment
  std::vector<T> g_input_;                           // [B, label_dim + latent]: conditional only
  std::vector<T> input_grad_;                        // [B, label_dim + latent]: conditional only
};

}  // namespace gan
