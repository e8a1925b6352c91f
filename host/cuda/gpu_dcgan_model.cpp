// defines: DcganGpuModel (through make_dcgan_gpu_model) — the convolutional GAN (issue 10)
// inside the GPU step: convolutions and BatchNorm through cuDNN, the two linear layers through
// cuBLAS, activations, BCE, gradient sums through our kernels. The same passes as the CPU
// trainer (host/cpu/dcgan_model.h), in the same order, so that BatchNorm's running
// statistics move identically: D(real), D(G(z_d)) as two passes whose gradients add; the G step's
// D(G(z_g)) through the updated D, with its running statistics updated too. Conditional
// (--conditional): G's label row concatenated in front of z, D's projection term on the logit,
// through kernels/labels.cuh.
#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "activation_backward.cuh"
#include "add.cuh"
#include "batch_norm.cuh"
#include "bce.cuh"
#include "cuda/cudnn_layers.h"
#include "cuda/gpu_batch_norm.h"
#include "cuda/gpu_model.h"
#include "cuda/phase_timer.h"
#include "labels.cuh"
#include "linear_forward.cuh"
#include "model/conv_shape.h"
#include "model/dcgan_spec.h"

namespace gan {

bool gpu_dcgan_available() { return true; }

namespace {

constexpr int64_t kImage = 784, kSmall = 49, kLarge = 196;  // 28x28, 7x7, 14x14

// The cuDNN layers at one batch size (their descriptors hold it): G's, which sampling needs
// alone, and D's.
struct GeneratorLayers {
  GeneratorLayers(const CudnnHandle& cudnn, const ModelSpec& spec, int64_t B, bool tf32,
                  ConvAlgorithms choice = ConvAlgorithms::kHeuristic)
      : bn0(cudnn, B, spec.dcgan.c0, kSmall, spec.dcgan.bn_eps),
        deconv1(cudnn, CudnnConvLayer::Kind::kTransposed, halving_shape(B, spec.dcgan.c0, spec.dcgan.c1, 14), tf32,
                choice),
        bn1(cudnn, B, spec.dcgan.c1, kLarge, spec.dcgan.bn_eps),
        deconv2(cudnn, CudnnConvLayer::Kind::kTransposed, halving_shape(B, spec.dcgan.c1, 1, 28), tf32, choice) {}
  size_t workspace_bytes() const { return std::max(deconv1.workspace_bytes(), deconv2.workspace_bytes()); }

  CudnnBatchNorm bn0;
  CudnnConvLayer deconv1;
  CudnnBatchNorm bn1;
  CudnnConvLayer deconv2;
};

struct DiscriminatorLayers {
  DiscriminatorLayers(const CudnnHandle& cudnn, const ModelSpec& spec, int64_t B, bool tf32, ConvAlgorithms choice)
      : conv1(cudnn, CudnnConvLayer::Kind::kConv, halving_shape(B, 1, spec.dcgan.c1, 28), tf32, choice),
        conv2(cudnn, CudnnConvLayer::Kind::kConv, halving_shape(B, spec.dcgan.c1, spec.dcgan.c0, 14), tf32, choice),
        bn2(cudnn, B, spec.dcgan.c0, kSmall, spec.dcgan.bn_eps) {}
  size_t workspace_bytes() const { return std::max(conv1.workspace_bytes(), conv2.workspace_bytes()); }

  CudnnConvLayer conv1, conv2;
  CudnnBatchNorm bn2;
};

// Both networks' layers at one training batch size, and the workspace they share.
struct DcganLayers {
  DcganLayers(const CudnnHandle& cudnn, const ModelSpec& spec, int64_t B, bool tf32, ConvAlgorithms choice)
      : g(cudnn, spec, B, tf32, choice),
        d(cudnn, spec, B, tf32, choice),
        workspace(std::max(g.workspace_bytes(), d.workspace_bytes())) {}

  std::string algorithms() const {
    return "G deconv1 " + g.deconv1.algorithms() + "; G deconv2 " + g.deconv2.algorithms() + "; D conv1 " +
           d.conv1.algorithms() + "; D conv2 " + d.conv2.algorithms();
  }

  GeneratorLayers g;
  DiscriminatorLayers d;
  DeviceBuffer<char> workspace;
};

// G's activations for one pass of up to B images.
struct GeneratorActivations {
  float* projected = nullptr;  // [B, C0, 7, 7]: the projection, before BatchNorm
  float* act0 = nullptr;       // [B, C0, 7, 7]: ReLU(BatchNorm(projected))
  float* deconv1 = nullptr;    // [B, C1, 14, 14]
  float* act1 = nullptr;       // [B, C1, 14, 14]: ReLU(BatchNorm(deconv1))
  float* image = nullptr;      // [B, 1, 28, 28]: tanh(deconv2)
  float* saved = nullptr;      // [2 C0 + 2 C1]: BatchNorm's saved mean and inverse std, per layer
};

// D's activations for one pass of B images.
struct DiscriminatorActivations {
  float* act1 = nullptr;    // [B, C1, 14, 14]: LeakyReLU(conv1)
  float* conv2 = nullptr;   // [B, C0, 7, 7]: before BatchNorm
  float* act2 = nullptr;    // [B, C0, 7, 7]: LeakyReLU(BatchNorm(conv2))
  float* saved = nullptr;   // [2 C0]
};

class DcganGpuModel : public GpuGanModel {
 public:
  DcganGpuModel(const ModelSpec& spec, const GpuModelOptions& options, cudaStream_t stream, const CublasHandle& blas)
      : spec_(spec),
        tf32_(options.tf32),
        fused_batch_norm_(options.fused_batch_norm),
        conv_algorithms_(options.conv_algorithms),
        blas_(blas),
        stream_(stream),
        cudnn_(stream),
        gs_(dcgan_generator_slots(spec.generator)),
        ds_(dcgan_discriminator_slots(spec.discriminator)),
        g_in_(spec.generator.tensor("project.weight").shape[1]) {
    if (spec_.kind != ModelKind::kDcgan) throw InternalError("DcganGpuModel needs the dcgan model");
    if (spec_.image_height != 28 || spec_.image_width != 28) {
      throw InputError("--model dcgan: needs 28x28 images, the model is " + std::to_string(spec_.image_height) + "x" +
                  std::to_string(spec_.image_width));
    }
  }

  std::string description() const override {
    return std::string("cuDNN convolutions, BatchNorm ") + (fused_batch_norm_ ? "as fused kernels" : "through cuDNN") +
           "; " + algorithm_choice_name() + " algorithms at batch " + std::to_string(max_batch_) + ": " +
           layers_.at(max_batch_)->algorithms();
  }

  std::string algorithm_choice_name() const {
    switch (conv_algorithms_) {
      case ConvAlgorithms::kTimedDeterministic: return "timed deterministic";
      case ConvAlgorithms::kTimedAny: return "timed (determinism not required)";
      case ConvAlgorithms::kHeuristic: break;
    }
    return "deterministic";
  }

  void plan(DeviceArena& arena, int64_t B) override {
    const int64_t c0 = spec_.dcgan.c0, c1 = spec_.dcgan.c1;
    max_batch_ = B;
    prepare_batch(B);  // the algorithms and workspaces of the full batch, at start-up
    auto place = [&](float** pointer, int64_t count) { arena.place(pointer, static_cast<size_t>(count)); };
    place(&real_, B * kImage);
    place(&g_.projected, B * c0 * kSmall);
    place(&g_.act0, B * c0 * kSmall);
    place(&g_.deconv1, B * c1 * kLarge);
    place(&g_.act1, B * c1 * kLarge);
    place(&g_.image, B * kImage);
    place(&g_.saved, 2 * c0 + 2 * c1);
    for (DiscriminatorActivations& pass : d_) {
      place(&pass.act1, B * c1 * kLarge);
      place(&pass.conv2, B * c0 * kSmall);
      place(&pass.act2, B * c0 * kSmall);
      place(&pass.saved, 2 * c0);
    }
    place(&logits_, 2 * B);
    place(&dlogit_, 2 * B);
    place(&d_image_, B * kImage);
    const int64_t widest = std::max({c1 * kLarge, c0 * kSmall, kImage});
    place(&scratch_a_, B * widest);
    place(&scratch_b_, B * widest);
    place(&parameter_scratch_, 2 * std::max(c0, c1));
    // Added whole into D's gradients: its padding must hold zeros, which the arena's zeroing gives.
    place(&fake_grads_, static_cast<int64_t>(spec_.discriminator.parameter_count));
    if (augmenting(spec_)) {  // what D sees (the G step reuses the fake's) and G's image gradient
      place(&augmented_real_, B * kImage);
      place(&augmented_fake_, B * kImage);
      place(&image_grad_, B * kImage);
    }
    if (spec_.conditional()) {
      arena.place(&labels_d_, static_cast<size_t>(2 * B));
      arena.place(&labels_g_, static_cast<size_t>(B));
      place(&g_input_, B * g_in_);
      place(&class_sums_, spec_.classes * c0 * kSmall);
    }
  }

  float* real_batch() const override { return real_; }
  int32_t* discriminator_labels() const override { return labels_d_; }
  int32_t* generator_labels() const override { return labels_g_; }

  void prepare_batch(int64_t B) override {
    check_dcgan_batch(B);
    if (layers_.count(B) == 0) layers_[B] = std::make_unique<DcganLayers>(cudnn_, spec_, B, tf32_, conv_algorithms_);
  }

  void enqueue_discriminator_step(int64_t B, const float* z, const GpuNetwork& g, const GpuNetwork& d,
                                  BceDeviceStats* stats) override {
    const DcganLayers& layers = *layers_.at(B);
    // Conditional: labels_d_ holds the real batch's labels, then G(z_d)'s (the trainer's).
    const int32_t* real_labels = labels_d_;
    const int32_t* fake_labels = labels_d_ ? labels_d_ + B : nullptr;
    {
      NvtxRange range("G forward");
      generator_forward(layers.g, layers.workspace.get(), B, z, fake_labels, g_input_, g, /*training=*/true, g_);
    }
    const DiscriminatorActivations& real = d_[0];
    const DiscriminatorActivations& fake = d_[1];
    // What D sees: the images, or DiffAugment's transforms of them (--augment).
    const auto [real_seen, fake_seen] =
        discriminator_step_images(real_, g_.image, B, augmented_real_, augmented_fake_, stream_);
    {
      NvtxRange range("D forward (real, fake)");
      // The BCE kernel reads [real logits; fake logits] back to back.
      discriminator_forward(layers.d, layers.workspace.get(), B, real_seen, real_labels, d, real, logits_);
      discriminator_forward(layers.d, layers.workspace.get(), B, fake_seen, fake_labels, d, fake, logits_ + B);
    }
    {
      NvtxRange range("loss");
      enqueue_discriminator_loss(spec_.loss, logits_, B, dlogit_, stats, stream_);
    }
    NvtxRange range("D backward (real, fake)");
    discriminator_backward(layers.d, layers.workspace.get(), B, real_seen, real_labels, d, real, dlogit_, d.grads,
                           nullptr);
    discriminator_backward(layers.d, layers.workspace.get(), B, fake_seen, fake_labels, d, fake, dlogit_ + B,
                           fake_grads_, nullptr);
    launch_add_into(d.grads, fake_grads_, spec_.discriminator.parameter_count, stream_);
  }

  void enqueue_generator_step(int64_t B, const float* z, const GpuNetwork& g, const GpuNetwork& d,
                              BceDeviceStats* stats) override {
    const DcganLayers& layers = *layers_.at(B);
    const float* input = nullptr;  // G's input: z, or cat(label_emb(labels_g_), z)
    const float* fake_seen = nullptr;  // G(z), or DiffAugment's transform of it
    {
      NvtxRange range("G step: G forward, D forward");
      input = generator_forward(layers.g, layers.workspace.get(), B, z, labels_g_, g_input_, g, /*training=*/true, g_);
      fake_seen = to_discriminator(AugmentSite::kFakeG, g_.image, B, augmented_fake_, stream_);
      discriminator_forward(layers.d, layers.workspace.get(), B, fake_seen, labels_g_, d, d_[0], logits_);
    }
    NvtxRange range("G step: loss, D backward (input only), G backward");
    enqueue_generator_loss(spec_.loss, logits_, B, dlogit_, stats, stream_);
    discriminator_backward(layers.d, layers.workspace.get(), B, fake_seen, labels_g_, d, d_[0], dlogit_, nullptr,
                           d_image_);
    generator_backward(layers.g, layers.workspace.get(), B, input, labels_g_, g,
                       from_discriminator(AugmentSite::kFakeG, d_image_, B, image_grad_, stream_));
  }

  void generate(const float* z, const int32_t* labels, int64_t count, const GpuNetwork& g, float* images) override {
    // Evaluation mode: BatchNorm on the running statistics, so any count works, 1 included.
    const int64_t c0 = spec_.dcgan.c0, c1 = spec_.dcgan.c1;
    const GeneratorLayers layers(cudnn_, spec_, count, tf32_);  // G's alone
    DeviceBuffer<char> workspace(layers.workspace_bytes());
    DeviceBuffer<float> projected(static_cast<size_t>(count * c0 * kSmall)), act0(projected.size());
    DeviceBuffer<float> deconv1(static_cast<size_t>(count * c1 * kLarge)), act1(deconv1.size());
    DeviceBuffer<float> image(static_cast<size_t>(count * kImage));
    DeviceBuffer<float> input(spec_.conditional() ? static_cast<size_t>(count * g_in_) : 0);
    const GeneratorActivations pass{projected.get(), act0.get(), deconv1.get(), act1.get(), image.get(), nullptr};
    generator_forward(layers, workspace.get(), count, z, labels, input.get(), g, /*training=*/false, pass);
    const std::vector<float> result = image.download();  // waits for the stream's work
    std::copy(result.begin(), result.end(), images);
  }

 private:
  // A tensor of `net` at its offset (model/dcgan_spec.h's slots); a gradient in `grads` (null:
  // not wanted).
  static const float* tensor(const GpuNetwork& net, size_t offset) { return net.params + offset; }
  static float* gradient(float* grads, size_t offset) { return grads ? grads + offset : nullptr; }

  // One BatchNorm layer and the activation after it (cuda/gpu_batch_norm.h).
  NormContext norm_context() const { return {fused_batch_norm_, spec_.dcgan.bn_eps, spec_.dcgan.bn_momentum, stream_}; }
  void norm_forward(const NormLayer& layer, const GpuNetwork& net, int64_t B, bool training, const float* x, float* y,
                    float* saved) const {
    gan::norm_forward(norm_context(), layer, net, B, training, x, y, saved);
  }
  void norm_backward(const NormLayer& layer, const GpuNetwork& net, int64_t B, const float* x, const float* y,
                     float* dy, const float* saved, float* dx, float* dgamma, float* dbeta) const {
    gan::norm_backward(norm_context(), layer, net, B, x, y, dy, saved, dx, dgamma, dbeta);
  }

  // G's and D's BatchNorm layers, with the activations after them (ReLU is LeakyReLU of slope 0).
  NormLayer g_norm0(const GeneratorLayers& l) const {
    return {l.bn0, gs_.bn0, spec_.dcgan.c0, kSmall, Activation::kLeakyRelu, 0.0f};
  }
  NormLayer g_norm1(const GeneratorLayers& l) const {
    return {l.bn1, gs_.bn1, spec_.dcgan.c1, kLarge, Activation::kLeakyRelu, 0.0f};
  }
  NormLayer d_norm2(const DiscriminatorLayers& l) const {
    return {l.bn2, ds_.bn2, spec_.dcgan.c0, kSmall, Activation::kLeakyRelu, spec_.slope};
  }

  void activate(float* x, int64_t count, Activation activation, float slope) const {
    launch_bias_activation(x, nullptr, 1, count, activation, slope, stream_);
  }

  // ws: a workspace of layers.workspace_bytes() at least, for every cuDNN call. Conditional:
  // labels [B] on the device, and G's input cat(label_emb(labels), z) [B, g_in_] is written into
  // `concatenated`. Returns G's input (z, or `concatenated`), which the backward reads.
  const float* generator_forward(const GeneratorLayers& layers, void* ws, int64_t B, const float* z,
                                 const int32_t* labels, float* concatenated, const GpuNetwork& g, bool training,
                                 const GeneratorActivations& a) const {
    const int64_t c0 = spec_.dcgan.c0, projected = c0 * kSmall;
    const float* input = gpu_generator_input(spec_, g.params, z, labels, B, concatenated, stream_);
    gemm_forward(blas_, input, tensor(g, gs_.project.weight), a.projected, B, g_in_, projected);
    launch_bias_activation(a.projected, tensor(g, gs_.project.bias), B, projected, Activation::kIdentity, 0.0f, stream_);
    norm_forward(g_norm0(layers), g, B, training, a.projected, a.act0, a.saved);
    layers.deconv1.forward(a.act0, tensor(g, gs_.deconv1.weight), tensor(g, gs_.deconv1.bias), a.deconv1, ws);
    norm_forward(g_norm1(layers), g, B, training, a.deconv1, a.act1, a.saved ? a.saved + 2 * c0 : nullptr);
    layers.deconv2.forward(a.act1, tensor(g, gs_.deconv2.weight), tensor(g, gs_.deconv2.bias), a.image, ws);
    activate(a.image, B * kImage, Activation::kTanh, 0.0f);
    return input;
  }

  // d_image [B, 784] -> every gradient of G's parameters into g.grads (overwritten). input: G's
  // input (generator_forward's return); labels: its rows' classes when conditional.
  void generator_backward(const GeneratorLayers& layers, void* ws, int64_t B, const float* input,
                          const int32_t* labels, const GpuNetwork& g, const float* d_image) const {
    const int64_t c0 = spec_.dcgan.c0, projected = c0 * kSmall;
    float* grads = g.grads;
    auto grad = [&](size_t offset) { return gradient(grads, offset); };
    launch_activation_backward(Activation::kTanh, 0.0f, g_.image, d_image, scratch_a_, nullptr, B, kImage, stream_);
    layers.deconv2.backward(g_.act1, tensor(g, gs_.deconv2.weight), scratch_a_, scratch_b_, grad(gs_.deconv2.weight),
                            grad(gs_.deconv2.bias), ws);
    norm_backward(g_norm1(layers), g, B, g_.deconv1, g_.act1, scratch_b_, g_.saved + 2 * c0, scratch_a_,
                  grad(gs_.bn1.weight), grad(gs_.bn1.bias));
    layers.deconv1.backward(g_.act0, tensor(g, gs_.deconv1.weight), scratch_a_, scratch_b_, grad(gs_.deconv1.weight),
                            grad(gs_.deconv1.bias), ws);
    norm_backward(g_norm0(layers), g, B, g_.projected, g_.act0, scratch_b_, g_.saved, scratch_a_, grad(gs_.bn0.weight),
                  grad(gs_.bn0.bias));
    gemm_weight_grad(blas_, scratch_a_, input, grad(gs_.project.weight), B, g_in_, projected);
    if (spec_.conditional()) {  // the table's gradient: dZ summed per class, then W's label columns
      const LabelEmbedding& label = spec_.generator.label;
      launch_label_class_sums(scratch_a_, labels, B, projected, label.classes, class_sums_, stream_);
      gemm_label_table_grad(blas_, class_sums_, tensor(g, gs_.project.weight), grads + label.offset, label.classes,
                            g_in_, projected, label.column, label.dim);
    }
    // The projection's bias gradient: column sums of dZ (identity: dZ is already the gradient).
    launch_activation_backward(Activation::kIdentity, 0.0f, scratch_a_, scratch_a_, scratch_a_, grad(gs_.project.bias), B,
                               projected, stream_);
  }

  // D(x): logits [B]; conditional: with the projection term of x's labels [B].
  void discriminator_forward(const DiscriminatorLayers& layers, void* ws, int64_t B, const float* x,
                             const int32_t* labels, const GpuNetwork& d, const DiscriminatorActivations& a,
                             float* logits) const {
    const int64_t c0 = spec_.dcgan.c0, c1 = spec_.dcgan.c1, projected = c0 * kSmall;
    layers.conv1.forward(x, tensor(d, ds_.conv1.weight), tensor(d, ds_.conv1.bias), a.act1, ws);
    activate(a.act1, B * c1 * kLarge, Activation::kLeakyRelu, spec_.slope);
    layers.conv2.forward(a.act1, tensor(d, ds_.conv2.weight), tensor(d, ds_.conv2.bias), a.conv2, ws);
    norm_forward(d_norm2(layers), d, B, /*training=*/true, a.conv2, a.act2, a.saved);
    gemm_forward(blas_, a.act2, tensor(d, ds_.linear.weight), logits, B, projected, 1);
    launch_bias_activation(logits, tensor(d, ds_.linear.bias), B, 1, Activation::kIdentity, 0.0f, stream_);
    if (spec_.conditional()) {
      launch_label_projection_forward(a.act2, tensor(d, spec_.discriminator.projection.offset), labels, B, projected,
                                      logits, stream_);
    }
  }

  // dlogit [B] -> D's parameter gradients into grads (overwritten; null: none) and the input
  // gradient into d_input [B, 784] (null: none).
  void discriminator_backward(const DiscriminatorLayers& layers, void* ws, int64_t B, const float* x,
                              const int32_t* labels, const GpuNetwork& d, const DiscriminatorActivations& a,
                              float* dlogit, float* grads, float* d_input) const {
    const int64_t c0 = spec_.dcgan.c0, c1 = spec_.dcgan.c1, projected = c0 * kSmall;
    auto grad = [&](size_t offset) { return gradient(grads, offset); };
    if (grads) {
      gemm_weight_grad(blas_, dlogit, a.act2, grad(ds_.linear.weight), B, projected, 1);
      // The bias gradient is the sum of dlogit (dZ = dlogit: rewritten in place, unchanged).
      launch_activation_backward(Activation::kIdentity, 0.0f, dlogit, dlogit, dlogit, grad(ds_.linear.bias), B, 1,
                                 stream_);
    }
    gemm_input_grad(blas_, dlogit, tensor(d, ds_.linear.weight), scratch_a_, B, projected, 1);
    if (spec_.conditional()) {  // the projection term: into d_act2, and its table's gradient
      const LabelProjection& projection = spec_.discriminator.projection;
      launch_label_projection_backward(a.act2, tensor(d, projection.offset), labels, dlogit, B, projected,
                                       projection.classes, scratch_a_, grad(projection.offset), stream_);
    }
    // BatchNorm's parameter gradients go to scratch when D's are not wanted (both paths write them).
    float* dgamma = grads ? grad(ds_.bn2.weight) : parameter_scratch_;
    float* dbeta = grads ? grad(ds_.bn2.bias) : parameter_scratch_ + c0;
    norm_backward(d_norm2(layers), d, B, a.conv2, a.act2, scratch_a_, a.saved, scratch_b_, dgamma, dbeta);
    layers.conv2.backward(a.act1, tensor(d, ds_.conv2.weight), scratch_b_, scratch_a_, grad(ds_.conv2.weight),
                          grad(ds_.conv2.bias), ws);
    launch_activation_backward(Activation::kLeakyRelu, spec_.slope, a.act1, scratch_a_, scratch_a_, nullptr, B,
                               c1 * kLarge, stream_);
    if (grads || d_input) {
      layers.conv1.backward(x, tensor(d, ds_.conv1.weight), scratch_a_, d_input, grad(ds_.conv1.weight),
                            grad(ds_.conv1.bias), ws);
    }
  }

  const ModelSpec& spec_;
  bool tf32_;
  bool fused_batch_norm_;  // training-mode BatchNorm + activation as our fused kernels, not cuDNN
  ConvAlgorithms conv_algorithms_;
  const CublasHandle& blas_;
  cudaStream_t stream_;
  CudnnHandle cudnn_;
  int64_t max_batch_ = 0;
  std::map<int64_t, std::unique_ptr<DcganLayers>> layers_;  // by batch size
  DcganGeneratorSlots gs_;                                  // where G's tensors live
  DcganDiscriminatorSlots ds_;                              // where D's tensors live
  int64_t g_in_;                                            // G's input width: latent (+ label_dim)
  float* real_ = nullptr;                                   // [B, 784]
  GeneratorActivations g_;
  DiscriminatorActivations d_[2];                      // the real pass, the fake pass
  float* logits_ = nullptr;                            // [2B]: real, then fake
  float* dlogit_ = nullptr;                            // [2B]
  float* d_image_ = nullptr;                           // [B, 784]: the G step's gradient at D's input
  // --augment only, [B, 784] each: the real and fake images as D sees them (the G step's fake in
  // the second), and the G step's gradient at G's image.
  float *augmented_real_ = nullptr, *augmented_fake_ = nullptr, *image_grad_ = nullptr;
  float *scratch_a_ = nullptr, *scratch_b_ = nullptr;  // [B, widest activation]
  float* parameter_scratch_ = nullptr;                 // [2 max(C0, C1)]
  float* fake_grads_ = nullptr;                        // [D's parameter_count]
  // Conditional only: the labels [2B] (real, then G(z_d)'s) and [B] (G(z_g)'s), G's input
  // cat(label_emb(y), z) [B, g_in_] (one buffer: the DCGAN's two G passes never overlap), the
  // class sums [classes, C0*7*7] of G's table gradient.
  int32_t *labels_d_ = nullptr, *labels_g_ = nullptr;
  float* g_input_ = nullptr;
  float* class_sums_ = nullptr;
};

}  // namespace

std::unique_ptr<GpuGanModel> make_dcgan_gpu_model(const ModelSpec& spec, const GpuModelOptions& options,
                                                  cudaStream_t stream, const CublasHandle& blas) {
  if (spec.dcgan.canonical()) return make_canonical_dcgan_gpu_model(spec, options, stream, blas);
  return std::make_unique<DcganGpuModel>(spec, options, stream, blas);
}

}  // namespace gan
