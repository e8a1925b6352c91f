#include "cuda/gpu_model.h"

#include "hinge.cuh"
#include "labels.cuh"
#include "util/error.h"

namespace gan {

const float* gpu_generator_input(const ModelSpec& spec, const float* g_params, const float* z, const int32_t* labels,
                                 int64_t B, float* concatenated, cudaStream_t stream) {
  if (!spec.conditional()) return z;
  const LabelEmbedding& label = spec.generator.label;
  launch_concat_label_embedding(z, spec.latent_dim, g_params + label.offset, label.dim, labels, label.column, B,
                                concatenated, stream);
  return concatenated;
}

void enqueue_discriminator_loss(AdversarialLoss loss, const float* logits, int64_t B, float* dlogit,
                                BceDeviceStats* stats, cudaStream_t stream) {
  if (loss == AdversarialLoss::kHinge) {
    launch_hinge_discriminator(logits, B, B, dlogit, stats, stream);
  } else {
    launch_bce_with_logits(logits, B, B, dlogit, stats, stream);
  }
}

void enqueue_generator_loss(AdversarialLoss loss, const float* logits, int64_t B, float* dlogit, BceDeviceStats* stats,
                            cudaStream_t stream) {
  if (loss == AdversarialLoss::kHinge) {
    launch_hinge_generator(logits, B, dlogit, stats, stream);
  } else {
    launch_bce_with_logits(logits, B, 0, dlogit, stats, stream);
  }
}

std::unique_ptr<GpuGanModel> make_gpu_model(const ModelSpec& spec, const GpuModelOptions& options,
                                            cudaStream_t stream, const CublasHandle& blas) {
  if (spec.kind == ModelKind::kDcgan) return make_dcgan_gpu_model(spec, options, stream, blas);
  if (spec.kind == ModelKind::kMlp) return make_mlp_gpu_model(spec, options, stream, blas);
  throw InternalError("no GPU trainer for model '" + std::string(model_kind_name(spec.kind)) + "'");
}

#if !defined(GAN_HAVE_CUDNN)
bool gpu_dcgan_available() { return false; }

std::unique_ptr<GpuGanModel> make_dcgan_gpu_model(const ModelSpec&, const GpuModelOptions&, cudaStream_t,
                                                  const CublasHandle&) {
  throw InputError("--model dcgan on the GPU needs cuDNN, which this build did not find (configure with "
              "-DGAN_CUDNN_ROOT=<cuDNN 9 root>), or train it with --device cpu");
}
#endif

}  // namespace gan
