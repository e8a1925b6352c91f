// defines: CanonicalDcganGpuModel (through make_canonical_dcgan_gpu_model) — the 32/64-pixel
// DCGAN (model/dcgan_spec.h: make_canonical_dcgan_spec) inside the GPU step: each network's
// layer list through cuDNN convolutions (no biases) and BatchNorm (cuda/gpu_batch_norm.h), the
// activations, BCE and the sum of D's gradients through our kernels. The same passes as the CPU
// (host/cpu/canonical_dcgan.h) in the same order, so that BatchNorm's running statistics move
// identically.
#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "activation_backward.cuh"
#include "add.cuh"
#include "bce.cuh"
#include "cuda/cudnn_layers.h"
#include "cuda/gpu_batch_norm.h"
#include "cuda/gpu_model.h"
#include "cuda/phase_timer.h"
#include "linear_forward.cuh"
#include "model/dcgan_spec.h"

namespace gan {

namespace {

// One network's cuDNN layers at one batch size: a convolution per layer, a BatchNorm where the
// layer has one (null elsewhere).
struct NetworkLayers {
  NetworkLayers(const CudnnHandle& cudnn, const std::vector<CanonicalLayer>& layers, int64_t B, double eps, bool tf32,
                ConvAlgorithms choice) {
    for (const CanonicalLayer& layer : layers) {
      ConvShape s = layer.shape;
      s.batch = B;
      conv.push_back(std::make_unique<CudnnConvLayer>(
          cudnn, layer.transposed ? CudnnConvLayer::Kind::kTransposed : CudnnConvLayer::Kind::kConv, s, tf32, choice));
      const int64_t channels = s.out_channels;
      bn.push_back(layer.batch_norm
                       ? std::make_unique<CudnnBatchNorm>(cudnn, B, channels, layer.output_size() / channels, eps)
                       : nullptr);
    }
  }
  size_t workspace_bytes() const {
    size_t most = 0;
    for (const auto& c : conv) most = std::max(most, c->workspace_bytes());
    return most;
  }
  std::string algorithms() const {
    std::string text;
    for (size_t l = 0; l < conv.size(); ++l) text += (l ? "; " : "") + std::to_string(l) + ": " + conv[l]->algorithms();
    return text;
  }
  std::vector<std::unique_ptr<CudnnConvLayer>> conv;
  std::vector<std::unique_ptr<CudnnBatchNorm>> bn;
};

struct BatchLayers {
  BatchLayers(const CudnnHandle& cudnn, const std::vector<CanonicalLayer>& g_layers,
              const std::vector<CanonicalLayer>& d_layers, int64_t B, double eps, bool tf32, ConvAlgorithms choice)
      : g(cudnn, g_layers, B, eps, tf32, choice),
        d(cudnn, d_layers, B, eps, tf32, choice),
        workspace(std::max(g.workspace_bytes(), d.workspace_bytes())) {}
  NetworkLayers g, d;
  DeviceBuffer<char> workspace;
};

// A pass's activations: per layer the convolution's output, BatchNorm + activation's output and
// BatchNorm's saved statistics [2C] where it has one. A layer without BatchNorm runs its
// activation in place: its output is its convolution's buffer. That is resolved when the
// output is asked for, not copied when the buffers are placed: a placed pointer is set only
// when the arena is allocated, after plan() (a copy taken at plan time was null, and the first
// step handed null pointers to cuDNN and the kernels).
struct Activations {
  std::vector<float*> conv, normed, saved;  // normed, saved: null for a layer without BatchNorm
  float* out(size_t l) const { return normed[l] ? normed[l] : conv[l]; }
  float* last() const { return out(conv.size() - 1); }
};

class CanonicalDcganGpuModel : public GpuGanModel {
 public:
  CanonicalDcganGpuModel(const ModelSpec& spec, const GpuModelOptions& options, cudaStream_t stream,
                         const CublasHandle& /*blas*/)
      : spec_(spec),
        options_(options),
        stream_(stream),
        cudnn_(stream),
        g_layers_(canonical_layers(spec, true)),
        d_layers_(canonical_layers(spec, false)) {
    for (const std::vector<CanonicalLayer>* layers : {&g_layers_, &d_layers_}) {
      if (layers->back().batch_norm) throw InternalError("the canonical DCGAN's last layers have no BatchNorm");
    }
  }

  std::string description() const override {
    return "DCGAN " + std::to_string(spec_.image_height) + "x" + std::to_string(spec_.image_width) + "x" +
           std::to_string(spec_.channels) + ": cuDNN convolutions, BatchNorm " +
           (options_.fused_batch_norm ? "as fused kernels" : "through cuDNN") + "; algorithms at batch " +
           std::to_string(max_batch_) + ": G " + layers_.at(max_batch_)->g.algorithms() + "; D " +
           layers_.at(max_batch_)->d.algorithms();
  }

  void plan(DeviceArena& arena, int64_t B) override {
    max_batch_ = B;
    prepare_batch(B);
    auto place = [&](float** pointer, int64_t count) { arena.place(pointer, static_cast<size_t>(count)); };
    place(&real_, B * spec_.image_size());
    place_activations(arena, g_layers_, B, &g_);
    place_activations(arena, d_layers_, B, &d_[0]);
    place_activations(arena, d_layers_, B, &d_[1]);
    place(&logits_, 2 * B);  // real, then fake, as BCE reads them: the real pass writes here (logits_at)
    // The fake pass writes its logits to a buffer of its own, 16-byte aligned whatever B (cuDNN's
    // faster kernels want that), then copied behind the real ones.
    place(&fake_logits_, B);
    place(&dlogit_, 2 * B);
    place(&d_image_, B * spec_.image_size());
    if (augmenting(spec_)) {  // what D sees (the G step reuses the fake's) and G's image gradient
      place(&augmented_real_, B * spec_.image_size());
      place(&augmented_fake_, B * spec_.image_size());
      place(&image_grad_, B * spec_.image_size());
    }
    int64_t widest = spec_.image_size(), widest_channels = 1;
    for (const std::vector<CanonicalLayer>* layers : {&g_layers_, &d_layers_}) {
      for (const CanonicalLayer& layer : *layers) {
        widest = std::max({widest, layer.output_size(), layer.input_size()});
        widest_channels = std::max(widest_channels, layer.shape.out_channels);
      }
    }
    place(&scratch_a_, B * widest);
    place(&scratch_b_, B * widest);
    place(&parameter_scratch_, 2 * widest_channels);
    // Added whole into D's gradients: its padding must hold zeros, which the arena's zeroing gives.
    place(&fake_grads_, static_cast<int64_t>(spec_.discriminator.parameter_count));
  }

  float* real_batch() const override { return real_; }

  void prepare_batch(int64_t B) override {
    check_dcgan_batch(B);
    if (layers_.count(B) == 0) {
      layers_[B] = std::make_unique<BatchLayers>(cudnn_, g_layers_, d_layers_, B, spec_.dcgan.bn_eps, options_.tf32,
                                                 options_.conv_algorithms);
    }
  }

  void enqueue_discriminator_step(int64_t B, const float* z, const GpuNetwork& g, const GpuNetwork& d,
                                  BceDeviceStats* stats) override {
    const BatchLayers& layers = *layers_.at(B);
    void* ws = layers.workspace.get();
    {
      NvtxRange range("G forward");
      forward(g_layers_, layers.g, ws, B, z, g, /*training=*/true, g_);
    }
    // What D sees: the images, or DiffAugment's transforms of them (--augment).
    const auto [real_seen, fake_seen] =
        discriminator_step_images(real_, g_.last(), B, augmented_real_, augmented_fake_, stream_);
    {
      NvtxRange range("D forward (real, fake)");
      forward(d_layers_, layers.d, ws, B, real_seen, d, true, logits_at(d_[0], logits_));
      forward(d_layers_, layers.d, ws, B, fake_seen, d, true, logits_at(d_[1], fake_logits_));
      GAN_CHECK(cudaMemcpyAsync(logits_ + B, fake_logits_, static_cast<size_t>(B) * sizeof(float),
                                cudaMemcpyDeviceToDevice, stream_));
    }
    {
      NvtxRange range("loss");
      enqueue_discriminator_loss(spec_.loss, logits_, B, dlogit_, stats, stream_);
    }
    NvtxRange range("D backward (real, fake)");
    backward(d_layers_, layers.d, ws, B, real_seen, d, logits_at(d_[0], logits_), dlogit_, d.grads, nullptr);
    backward(d_layers_, layers.d, ws, B, fake_seen, d, logits_at(d_[1], fake_logits_), dlogit_ + B, fake_grads_,
             nullptr);
    launch_add_into(d.grads, fake_grads_, spec_.discriminator.parameter_count, stream_);
  }

  void enqueue_generator_step(int64_t B, const float* z, const GpuNetwork& g, const GpuNetwork& d,
                              BceDeviceStats* stats) override {
    const BatchLayers& layers = *layers_.at(B);
    void* ws = layers.workspace.get();
    const Activations fake = logits_at(d_[0], logits_);
    const float* fake_seen = nullptr;  // G(z), or DiffAugment's transform of it
    {
      NvtxRange range("G step: G forward, D forward");
      forward(g_layers_, layers.g, ws, B, z, g, true, g_);
      fake_seen = to_discriminator(AugmentSite::kFakeG, g_.last(), B, augmented_fake_, stream_);
      forward(d_layers_, layers.d, ws, B, fake_seen, d, true, fake);
    }
    NvtxRange range("G step: loss, D backward (input only), G backward");
    enqueue_generator_loss(spec_.loss, logits_, B, dlogit_, stats, stream_);
    backward(d_layers_, layers.d, ws, B, fake_seen, d, fake, dlogit_, nullptr, d_image_);
    backward(g_layers_, layers.g, ws, B, z, g, g_, from_discriminator(AugmentSite::kFakeG, d_image_, B, image_grad_, stream_),
             g.grads, nullptr);
  }

  void generate(const float* z, const int32_t* /*labels*/, int64_t count, const GpuNetwork& g, float* images) override {
    // Evaluation mode: BatchNorm on the running statistics, so any count works, 1 included.
    const NetworkLayers layers(cudnn_, g_layers_, count, spec_.dcgan.bn_eps, options_.tf32, ConvAlgorithms::kHeuristic);
    DeviceBuffer<char> workspace(layers.workspace_bytes());
    std::vector<DeviceBuffer<float>> buffers;
    Activations pass;
    for (const CanonicalLayer& layer : g_layers_) {
      buffers.emplace_back(static_cast<size_t>(count * layer.output_size()));
      pass.conv.push_back(buffers.back().get());
      if (layer.batch_norm) buffers.emplace_back(static_cast<size_t>(count * layer.output_size()));
      pass.normed.push_back(layer.batch_norm ? buffers.back().get() : nullptr);
      pass.saved.push_back(nullptr);
    }
    forward(g_layers_, layers, workspace.get(), count, z, g, /*training=*/false, pass);
    const std::vector<float> result = buffers.back().download();  // waits for the stream's work
    std::copy(result.begin(), result.end(), images);
  }

 private:
  // Places a pass's buffers for batches up to B. A layer without BatchNorm keeps its output in
  // its convolution's buffer (its activation runs in place). D's last layer (its logits) is not
  // placed: logits_at() points it into logits_.
  void place_activations(DeviceArena& arena, const std::vector<CanonicalLayer>& layers, int64_t B, Activations* a) {
    a->conv.assign(layers.size(), nullptr);
    a->normed.assign(layers.size(), nullptr);
    a->saved.assign(layers.size(), nullptr);
    for (size_t l = 0; l < layers.size(); ++l) {
      if (l + 1 == layers.size() && !layers[l].transposed) continue;  // D's logits
      arena.place(&a->conv[l], static_cast<size_t>(B * layers[l].output_size()));
      if (layers[l].batch_norm) {
        arena.place(&a->normed[l], static_cast<size_t>(B * layers[l].output_size()));
        arena.place(&a->saved[l], static_cast<size_t>(2 * layers[l].shape.out_channels));
      }
    }
  }

  // A D pass whose last layer writes its logits [B] straight into `logits`.
  static Activations logits_at(const Activations& a, float* logits) {
    Activations with = a;
    with.conv.back() = logits;  // D's last layer has no BatchNorm: its output is its conv's
    return with;
  }

  NormContext norm_context() const {
    return {options_.fused_batch_norm, spec_.dcgan.bn_eps, spec_.dcgan.bn_momentum, stream_};
  }

  NormLayer norm_layer(const CanonicalLayer& layer, const NetworkLayers& cudnn, size_t l) const {
    const int64_t channels = layer.shape.out_channels;
    return {*cudnn.bn[l], layer.bn, channels, layer.output_size() / channels, layer.activation, layer.slope};
  }

  // x [B, first layer's input] -> a.last(). ws: the batch's workspace.
  void forward(const std::vector<CanonicalLayer>& layers, const NetworkLayers& cudnn, void* ws, int64_t B,
               const float* x, const GpuNetwork& net, bool training, const Activations& a) const {
    const float* in = x;
    for (size_t l = 0; l < layers.size(); ++l) {
      const CanonicalLayer& layer = layers[l];
      cudnn.conv[l]->forward(in, net.params + layer.weight, nullptr, a.conv[l], ws);
      if (layer.batch_norm) {
        norm_forward(norm_context(), norm_layer(layer, cudnn, l), net, B, training, a.conv[l], a.out(l), a.saved[l]);
      } else if (layer.activation != Activation::kIdentity) {
        launch_bias_activation(a.out(l), nullptr, 1, B * layer.output_size(), layer.activation, layer.slope, stream_);
      }
      in = a.out(l);
    }
  }

  // d_output (the gradient at the last layer's output) -> every gradient into grads
  // (overwritten; null: none) and the input gradient into d_input (null: none).
  void backward(const std::vector<CanonicalLayer>& layers, const NetworkLayers& cudnn, void* ws, int64_t B,
                const float* x, const GpuNetwork& net, const Activations& a, const float* d_output, float* grads,
                float* d_input) const {
    if (grads) GAN_CHECK(cudaMemsetAsync(grads, 0, net.spec->parameter_count * sizeof(float), stream_));
    const float* dy = d_output;  // the gradient at layer l's output
    float* free = scratch_a_;    // where the next result may go
    float* spare = scratch_b_;
    for (size_t l = layers.size(); l-- > 0;) {
      const CanonicalLayer& layer = layers[l];
      float* d_conv = nullptr;  // the gradient at the convolution's output
      if (layer.batch_norm) {
        // norm_backward rewrites dy in place (cuDNN path): dy is always a scratch buffer here
        // (the last layers, which see d_output, have no BatchNorm).
        float* dgamma = grads ? grads + layer.bn.weight : parameter_scratch_;
        float* dbeta = grads ? grads + layer.bn.bias : parameter_scratch_ + layer.shape.out_channels;
        norm_backward(norm_context(), norm_layer(layer, cudnn, l), net, B, a.conv[l], a.out(l), const_cast<float*>(dy),
                      a.saved[l], free, dgamma, dbeta);
        d_conv = free;
        std::swap(free, spare);  // free: dy's buffer (dy is spent), or the other scratch
      } else {
        launch_activation_backward(layer.activation, layer.slope, a.out(l), dy, free, nullptr, B, layer.output_size(),
                                   stream_);
        d_conv = free;
        std::swap(free, spare);
      }
      float* dx = l == 0 ? d_input : free;
      float* dw = grads ? grads + layer.weight : nullptr;
      const float* input = l == 0 ? x : a.out(l - 1);
      if (dx || dw) cudnn.conv[l]->backward(input, net.params + layer.weight, d_conv, dx, dw, nullptr, ws);
      if (l > 0) {
        dy = free;
        std::swap(free, spare);
      }
    }
  }

  const ModelSpec& spec_;
  GpuModelOptions options_;
  cudaStream_t stream_;
  CudnnHandle cudnn_;
  std::vector<CanonicalLayer> g_layers_, d_layers_;
  int64_t max_batch_ = 0;
  std::map<int64_t, std::unique_ptr<BatchLayers>> layers_;  // by batch size
  float* real_ = nullptr;                                   // [B, C*H*W]
  Activations g_;                                           // G's pass
  Activations d_[2];                                        // D's real and fake passes
  float* logits_ = nullptr;                                 // [2B]: real, then fake
  float* fake_logits_ = nullptr;                            // [B]: the fake pass's, before the copy
  float* dlogit_ = nullptr;                                 // [2B]
  float* d_image_ = nullptr;                                // [B, C*H*W]
  // --augment only, [B, C*H*W] each: the real and fake images as D sees them (the G step's fake
  // in the second), and the G step's gradient at G's image.
  float *augmented_real_ = nullptr, *augmented_fake_ = nullptr, *image_grad_ = nullptr;
  float *scratch_a_ = nullptr, *scratch_b_ = nullptr;       // [B, widest map]
  float* parameter_scratch_ = nullptr;                      // [2 widest channels]
  float* fake_grads_ = nullptr;                             // [D's parameter_count]
};

}  // namespace

std::unique_ptr<GpuGanModel> make_canonical_dcgan_gpu_model(const ModelSpec& spec, const GpuModelOptions& options,
                                                            cudaStream_t stream, const CublasHandle& blas) {
  if (spec.conditional()) {
    throw InputError("the conditional " + std::to_string(spec.image_height) + "x" + std::to_string(spec.image_width) +
                     " DCGAN trains on the CPU only (--device cpu): its GPU label path is not written yet");
  }
  return std::make_unique<CanonicalDcganGpuModel>(spec, options, stream, blas);
}

}  // namespace gan
