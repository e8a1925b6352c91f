// defines: MlpGpuModel (through make_mlp_gpu_model) — the seed's MLP GAN inside the GPU step

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "bce.cuh"
#include "cuda/gpu_mlp.h"
#include "cuda/gpu_model.h"
#include "cuda/nvtx_range.h"
#include "cuda/side_stream.h"

namespace gan {
namespace {

// Real and fake go through D as one batch of 2B rows: exact for the MLP (no layer mixes rows),
// and one GEMM per layer instead of two. D's first layer computes no input gradient.
class MlpGpuModel : public GpuGanModel {
 public:
  MlpGpuModel(const ModelSpec& spec, const GpuModelOptions& options, cudaStream_t stream, const CublasHandle& blas)
      : spec_(spec), blas_(blas), stream_(stream) {
    g_layers_ = {&spec_.generator, spec_.slope, options.forward, options.tf32, stream};
    d_layers_ = {&spec_.discriminator, spec_.slope, options.forward, options.tf32, stream};
    if (options.branches) weight_grads_ = std::make_unique<SideStream>(stream, options.tf32);
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
    arena.place(&d_input_, static_cast<size_t>(2 * B * pixels));
    for (size_t l = 0; l + 1 < G.layers.size(); ++l) arena.place(&g_outputs_[l], static_cast<size_t>(B * G.layers[l].out));
    for (size_t l = 0; l < G.layers.size(); ++l) arena.place(&g_step_outputs_[l], static_cast<size_t>(B * G.layers[l].out));
    for (size_t l = 0; l < D.layers.size(); ++l) arena.place(&d_outputs_[l], static_cast<size_t>(2 * B * D.layers[l].out));
    arena.place(&dlogit_, static_cast<size_t>(2 * B));
    arena.place(&d_image_, static_cast<size_t>(B * pixels));
    const size_t scratch = static_cast<size_t>(std::max(B * G.widest_layer(), 2 * B * D.widest_layer()));
    arena.place(&upstream_, scratch);
    arena.place(&downstream_, scratch);
  }

  float* real_batch() const override { return d_input_; }

  void enqueue_discriminator_step(int64_t B, const float* z, const GpuNetwork& g, const GpuNetwork& d,
                                  BceDeviceStats* stats) override {
    const GpuPass g_pass = generator_pass(B, z);
    {
      NvtxRange range("G forward");
      gpu_mlp_forward(blas_, g_layers_, g.params, g_pass);
    }
    const GpuPass d_pass{2 * B, d_input_, d_outputs_};
    {
      NvtxRange range("D forward");
      gpu_mlp_forward(blas_, d_layers_, d.params, d_pass);
    }
    {
      NvtxRange range("loss");
      launch_bce_with_logits(d_outputs_.back(), B, B, dlogit_, stats, stream_);
    }
    NvtxRange range("D backward");  // no input gradient at D's first layer
    gpu_mlp_backward(blas_, d_layers_, d.params, d_pass, dlogit_, d.grads, nullptr, upstream_, downstream_,
                     weight_grads_.get());
  }

  bool separable_generator_forward() const override { return true; }

  void enqueue_generator_forward(int64_t B, const float* z, const GpuNetwork& g, cudaStream_t stream,
                                 const CublasHandle& blas) override {
    NvtxRange range("G step: G forward", stream);
    GpuLayers layers = g_layers_;
    layers.stream = stream;
    gpu_mlp_forward(blas, layers, g.params, GpuPass{B, z, g_step_outputs_});
  }

  void enqueue_generator_step(int64_t B, const float* z, const GpuNetwork& g, const GpuNetwork& d,
                              BceDeviceStats* stats) override {
    const GpuPass g_pass{B, z, g_step_outputs_};  // enqueue_generator_forward's
    const GpuPass d_fake_pass{B, g_pass.outputs.back(), d_outputs_};
    {
      NvtxRange range("G step: D forward");
      gpu_mlp_forward(blas_, d_layers_, d.params, d_fake_pass);
    }
    NvtxRange range("G step: loss, D backward (input only), G backward");
    launch_bce_with_logits(d_outputs_.back(), B, 0, dlogit_, stats, stream_);
    gpu_mlp_backward(blas_, d_layers_, d.params, d_fake_pass, dlogit_, nullptr, d_image_, upstream_, downstream_);
    gpu_mlp_backward(blas_, g_layers_, g.params, g_pass, d_image_, g.grads, nullptr, upstream_, downstream_,
                     weight_grads_.get());
  }

  void rejoin_side_streams() noexcept override {
    if (weight_grads_) weight_grads_->rejoin();
  }

  void generate(const float* z, int64_t count, const GpuNetwork& g, float* images) override {
    std::vector<DeviceBuffer<float>> outputs;
    GpuPass pass{count, z, {}};
    for (const LinearLayer& layer : spec_.generator.layers) {
      outputs.emplace_back(static_cast<size_t>(count * layer.out));
      pass.outputs.push_back(outputs.back().get());
    }
    gpu_mlp_forward(blas_, g_layers_, g.params, pass);
    const std::vector<float> result = outputs.back().download();  // waits for the stream's work
    std::copy(result.begin(), result.end(), images);
  }

 private:
  // G's pass from z, its image written straight into the fake half of D's input.
  GpuPass generator_pass(int64_t B, const float* z) const {
    GpuPass pass{B, z, g_outputs_};
    pass.outputs.back() = d_input_ + B * spec_.image_size();
    return pass;
  }

  const ModelSpec& spec_;
  const CublasHandle& blas_;
  cudaStream_t stream_;
  GpuLayers g_layers_, d_layers_;
  float* d_input_ = nullptr;  // [2B, H*W]: the real batch, then G(z)
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
