// defines: MlpGpuModel (through make_mlp_gpu_model) — the seed's MLP GAN inside the GPU step,
// and the conditional MLP's (the label tables' rows concatenated to G's z and D's image: the
// twin of host/cpu/mlp_model.h)

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "bce.cuh"
#include "labels.cuh"
#include "cuda/gpu_mlp.h"
#include "cuda/gpu_model.h"
#include "cuda/phase_timer.h"
#include "cuda/streams.h"

namespace gan {
namespace {

// Real and fake go through D as one batch of 2B rows: exact for the MLP (no layer mixes rows),
// and one GEMM per layer instead of two. D's first layer computes no input gradient; the
// conditional model's tables get theirs from the first layers' dZ summed per class.
class MlpGpuModel : public GpuGanModel {
 public:
  MlpGpuModel(const ModelSpec& spec, const GpuModelOptions& options, cudaStream_t stream, const CublasHandle& blas)
      : spec_(spec), blas_(blas), stream_(stream) {
    g_layers_ = {&spec_.generator, spec_.slope, options.forward, options.tf32, stream};
    d_layers_ = {&spec_.discriminator, spec_.slope, options.forward, options.tf32, stream};
    if (options.branches) weight_grads_ = std::make_unique<SideStream>(stream, options.tf32);
    // The G step's image gradient takes the first H*W columns of D's input gradient: D's label
    // columns must come last (cgan.py's cat(image, embedding)).
    if (spec_.conditional() && spec_.discriminator.label.column != spec_.image_size()) {
      throw InternalError("conditional MLP on the GPU: D's label columns must follow the image's");
    }
    // The G step takes the image gradient from D's first layer's dZ: with one layer, the
    // projection's gradient at D's input would be left out.
    if (spec_.discriminator.projection.classes > 0 && spec_.discriminator.layers.size() < 2) {
      throw InternalError("conditional MLP on the GPU: a projection term needs a hidden layer in D");
    }
  }

  std::string description() const override {
    return std::string(g_layers_.forward == ForwardPath::kFused ? "forward fused kernel" : "forward cuBLAS + epilogue") +
           (weight_grads_ ? ", branches" : "");
  }

  void plan(DeviceArena& arena, int64_t B) override {
    const int64_t pixels = spec_.image_size();
    const NetworkSpec& G = spec_.generator;
    const NetworkSpec& D = spec_.discriminator;
    // G's outputs: every layer's but the last, whose image goes into the fake half of d_input_.
    g_outputs_.assign(G.layers.size(), nullptr);
    g_step_outputs_.assign(G.layers.size(), nullptr);
    d_outputs_.assign(D.layers.size(), nullptr);
    arena.place(&d_input_, static_cast<size_t>(2 * B * D.layers.front().in));
    // Conditional or augmented: G's image cannot go straight into D's input (whose rows are wider,
    // or hold the augmented images), so it has its own buffer, and so does the real batch.
    const size_t g_owned = own_images() ? G.layers.size() : G.layers.size() - 1;
    for (size_t l = 0; l < g_owned; ++l) arena.place(&g_outputs_[l], static_cast<size_t>(B * G.layers[l].out));
    if (own_images()) arena.place(&real_, static_cast<size_t>(B * pixels));
    if (augmenting(spec_)) {  // the G step's image gradient before DiffAugment's backward
      arena.place(&image_grad_, static_cast<size_t>(B * pixels));
      // Conditional: the augmented images [2B, H*W] before their label columns join them.
      if (spec_.conditional()) arena.place(&augmented_, static_cast<size_t>(2 * B * pixels));
    }
    if (spec_.conditional()) {
      arena.place(&g_input_, static_cast<size_t>(B * G.layers.front().in));
      arena.place(&g_step_input_, static_cast<size_t>(B * G.layers.front().in));
      arena.place(&labels_d_, static_cast<size_t>(2 * B));
      arena.place(&labels_g_, static_cast<size_t>(B));
      arena.place(&class_sums_, static_cast<size_t>(spec_.classes * std::max(G.layers.front().out, D.layers.front().out)));
    }
    for (size_t l = 0; l < G.layers.size(); ++l) arena.place(&g_step_outputs_[l], static_cast<size_t>(B * G.layers[l].out));
    for (size_t l = 0; l < D.layers.size(); ++l) arena.place(&d_outputs_[l], static_cast<size_t>(2 * B * D.layers[l].out));
    arena.place(&dlogit_, static_cast<size_t>(2 * B));
    arena.place(&d_image_, static_cast<size_t>(B * pixels));
    const size_t scratch = static_cast<size_t>(std::max(B * G.widest_layer(), 2 * B * D.widest_layer()));
    arena.place(&upstream_, scratch);
    arena.place(&downstream_, scratch);
  }

  float* real_batch() const override { return own_images() ? real_ : d_input_; }
  int32_t* discriminator_labels() const override { return labels_d_; }
  int32_t* generator_labels() const override { return labels_g_; }

  void enqueue_discriminator_step(int64_t B, const float* z, const GpuNetwork& g, const GpuNetwork& d,
                                  BceDeviceStats* stats) override {
    GpuPass g_pass;
    {
      NvtxRange range("G forward");  // conditional: the concatenation of G's input too
      g_pass = generator_pass(B, z, g.params);
      gpu_mlp_forward(blas_, g_layers_, g.params, g_pass);
    }
    const int64_t pixels = spec_.image_size();
    if (spec_.conditional()) {
      NvtxRange range("labels: D's input");  // DiffAugment's transforms first, when on
      const LabelEmbedding& label = spec_.discriminator.label;
      const int64_t d_in = spec_.discriminator.layers.front().in;
      const float* real = to_discriminator(AugmentSite::kReal, real_, B, augmented_, stream_);
      const float* fake = to_discriminator(AugmentSite::kFakeD, g_pass.outputs.back(), B, augmented_ + B * pixels, stream_);
      launch_concat_label_embedding(real, pixels, d.params + label.offset, label.dim, labels_d_, label.column, B,
                                    d_input_, stream_);
      launch_concat_label_embedding(fake, pixels, d.params + label.offset, label.dim, labels_d_ + B, label.column, B,
                                    d_input_ + B * d_in, stream_);
    } else if (spec_.augment.any()) {  // D's input [2B, H*W] = [aug(real); aug(G(z))], written in place
      discriminator_step_images(real_, g_pass.outputs.back(), B, d_input_, d_input_ + B * pixels, stream_);
    }
    const GpuPass d_pass{2 * B, d_input_, d_outputs_, labels_d_};
    {
      NvtxRange range("D forward");
      gpu_mlp_forward(blas_, d_layers_, d.params, d_pass);
    }
    {
      NvtxRange range("loss");
      enqueue_discriminator_loss(spec_.loss, d_outputs_.back(), B, dlogit_, stats, stream_);
    }
    NvtxRange range("D backward");  // no input gradient at D's first layer
    const float* first_dz = gpu_mlp_backward(blas_, d_layers_, d.params, d_pass, dlogit_, d.grads, nullptr, upstream_,
                                             downstream_, weight_grads_.get());
    if (spec_.conditional()) label_table_grad(spec_.discriminator, d, first_dz, labels_d_, 2 * B);
  }

  bool separable_generator_forward() const override { return true; }

  void enqueue_generator_forward(int64_t B, const float* z, const GpuNetwork& g, cudaStream_t stream,
                                 const CublasHandle& blas) override {
    NvtxRange range("G step: G forward", stream);
    GpuLayers layers = g_layers_;
    layers.stream = stream;
    const float* input = gpu_generator_input(spec_, g.params, z, labels_g_, B, g_step_input_, stream);
    gpu_mlp_forward(blas, layers, g.params, GpuPass{B, input, g_step_outputs_});
  }

  void enqueue_generator_step(int64_t B, const float* z, const GpuNetwork& g, const GpuNetwork& d,
                              BceDeviceStats* stats) override {
    // enqueue_generator_forward's pass (its input concatenated there when conditional).
    const GpuPass g_pass{B, spec_.conditional() ? g_step_input_ : z, g_step_outputs_};
    const float* d_input = g_pass.outputs.back();
    if (spec_.conditional()) {
      NvtxRange range("G step: labels, D's input");  // DiffAugment's transforms first, when on
      const LabelEmbedding& label = spec_.discriminator.label;
      const float* fake = to_discriminator(AugmentSite::kFakeG, g_pass.outputs.back(), B, augmented_, stream_);
      launch_concat_label_embedding(fake, spec_.image_size(), d.params + label.offset, label.dim, labels_g_,
                                    label.column, B, d_input_, stream_);
      d_input = d_input_;
    } else if (spec_.augment.any()) {
      NvtxRange range("G step: augment");
      d_input = to_discriminator(AugmentSite::kFakeG, g_pass.outputs.back(), B, d_input_, stream_);
    }
    const GpuPass d_fake_pass{B, d_input, d_outputs_, labels_g_};
    {
      NvtxRange range("G step: D forward");
      gpu_mlp_forward(blas_, d_layers_, d.params, d_fake_pass);
    }
    NvtxRange range("G step: loss, D backward (input only), G backward");
    enqueue_generator_loss(spec_.loss, d_outputs_.back(), B, dlogit_, stats, stream_);
    if (spec_.conditional()) {
      // Only the image's columns of D's input gradient: the label's go nowhere (D is not updated).
      const LinearLayer& first = spec_.discriminator.layers.front();
      const float* first_dz =
          gpu_mlp_backward(blas_, d_layers_, d.params, d_fake_pass, dlogit_, nullptr, nullptr, upstream_, downstream_);
      gemm_input_grad(blas_, first_dz, d.params + first.weight_offset, d_image_, B, first.in, first.out,
                      spec_.image_size());
    } else {
      gpu_mlp_backward(blas_, d_layers_, d.params, d_fake_pass, dlogit_, nullptr, d_image_, upstream_, downstream_);
    }
    const float* image_grad = from_discriminator(AugmentSite::kFakeG, d_image_, B, image_grad_, stream_);
    const float* first_dz = gpu_mlp_backward(blas_, g_layers_, g.params, g_pass, image_grad, g.grads, nullptr,
                                             upstream_, downstream_, weight_grads_.get());
    if (spec_.conditional()) label_table_grad(spec_.generator, g, first_dz, labels_g_, B);
  }

  void rejoin_side_streams() noexcept override {
    if (weight_grads_) weight_grads_->rejoin();
  }

  void generate(const float* z, const int32_t* labels, int64_t count, const GpuNetwork& g, float* images) override {
    std::vector<DeviceBuffer<float>> outputs;
    DeviceBuffer<float> input(spec_.conditional() ? static_cast<size_t>(count * spec_.generator.layers.front().in) : 0);
    GpuPass pass{count, gpu_generator_input(spec_, g.params, z, labels, count, input.get(), stream_), {}};
    for (const LinearLayer& layer : spec_.generator.layers) {
      outputs.emplace_back(static_cast<size_t>(count * layer.out));
      pass.outputs.push_back(outputs.back().get());
    }
    gpu_mlp_forward(blas_, g_layers_, g.params, pass);
    const std::vector<float> result = outputs.back().download();  // waits for the stream's work
    std::copy(result.begin(), result.end(), images);
  }

 private:
  // The D step's pass of G: from z, its image written straight into the fake half of D's input
  // (augmented: into its own buffer, which DiffAugment reads); conditional, from
  // cat(label_emb(y), z) into its own image buffer.
  GpuPass generator_pass(int64_t B, const float* z, const float* g_params) const {
    if (spec_.conditional()) {
      return GpuPass{B, gpu_generator_input(spec_, g_params, z, labels_d_ + B, B, g_input_, stream_), g_outputs_};
    }
    GpuPass pass{B, z, g_outputs_};
    if (!own_images()) pass.outputs.back() = d_input_ + B * spec_.image_size();
    return pass;
  }

  // Whether G's image and the real batch have buffers of their own rather than halves of d_input_.
  bool own_images() const { return spec_.conditional() || spec_.augment.any(); }

  // The label table's gradient into network.grads, from the first layer's dZ [rows, out] and
  // the rows' labels: summed per class, then one GEMM with the table's columns of W.
  void label_table_grad(const NetworkSpec& spec, const GpuNetwork& network, const float* first_dz,
                        const int32_t* labels, int64_t rows) {
    const LinearLayer& first = spec.layers.front();
    const LabelEmbedding& label = spec.label;
    launch_label_class_sums(first_dz, labels, rows, first.out, label.classes, class_sums_, stream_);
    gemm_label_table_grad(blas_, class_sums_, network.params + first.weight_offset, network.grads + label.offset,
                          label.classes, first.in, first.out, label.column, label.dim);
  }

  const ModelSpec& spec_;
  const CublasHandle& blas_;
  cudaStream_t stream_;
  GpuLayers g_layers_, d_layers_;
  float* d_input_ = nullptr;  // [2B, in]: the real batch, then G(z) (each with its label's columns)
  // Conditional or augmented: the real batch [B, H*W].
  float* real_ = nullptr;
  // Augmented only: the G step's gradient at G's image [B, H*W]; conditional too, the augmented
  // images [2B, H*W] (the D step's real and fake, or the G step's fake) before their label columns.
  float *image_grad_ = nullptr, *augmented_ = nullptr;
  // Conditional only: G's inputs cat(label_emb(y), z) [B, dim + latent] of the D step and the G
  // step; the labels [2B] (real, then G(z_d)'s) and [B] (G(z_g)'s); the class sums [classes,
  // widest first layer].
  float *g_input_ = nullptr, *g_step_input_ = nullptr;
  int32_t *labels_d_ = nullptr, *labels_g_ = nullptr;
  float* class_sums_ = nullptr;
  std::vector<float*> g_outputs_, d_outputs_;  // G: [B, out_l] (the last set per batch); D: [2B, out_l]
  // The G step's G(z_g): [B, out_l], the image last. Its own buffers, so that it may be computed
  // while the D step still reads G(z_d) in d_input_ (GpuTrainer::enqueue_step with branches).
  std::vector<float*> g_step_outputs_;
  float* dlogit_ = nullptr;   // [2B]
  float* d_image_ = nullptr;  // [B, H*W]: the loss's gradient at D's input, in the G step
  float *upstream_ = nullptr, *downstream_ = nullptr;  // backward scratch
  std::unique_ptr<SideStream> weight_grads_;  // the weight GEMMs' stream, with branches
};

}  // namespace

std::unique_ptr<GpuGanModel> make_mlp_gpu_model(const ModelSpec& spec, const GpuModelOptions& options,
                                                cudaStream_t stream, const CublasHandle& blas) {
  return std::make_unique<MlpGpuModel>(spec, options, stream, blas);
}

}  // namespace gan
