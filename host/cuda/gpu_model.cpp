#include "cuda/gpu_model.h"

#include "cuda/phase_timer.h"
#include "diff_augment.cuh"
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

void GpuAugment::plan(DeviceArena& arena, const ModelSpec& spec, int64_t max_batch) {
  policy_ = augment_policy_bits(spec.augment);
  if (!on()) return;
  channels_ = spec.channels;
  height_ = spec.image_height;
  width_ = spec.image_width;
  for (float*& draws : draws_) arena.place(&draws, static_cast<size_t>(max_batch * kAugmentDraws));
  if (policy_ & kAugmentColor) arena.place(&scratch_, static_cast<size_t>(max_batch * spec.image_size()));
}

void GpuAugment::enqueue_draws(uint64_t seed, const uint64_t* device_noise_key, int64_t B, cudaStream_t stream) const {
  for (AugmentSite site : {AugmentSite::kReal, AugmentSite::kFakeD, AugmentSite::kFakeG}) {
    launch_augment_draws(seed, device_noise_key, static_cast<uint32_t>(site), B, height_, width_,
                         draws_[static_cast<int>(site)], stream);
  }
}

void GpuAugment::forward(AugmentSite site, const float* images, int64_t B, float* out, cudaStream_t stream) const {
  launch_diff_augment(policy_, draws_[static_cast<int>(site)], B, channels_, height_, width_, images, scratch_, out,
                      stream);
}

void GpuAugment::backward(AugmentSite site, const float* grad_out, int64_t B, float* grad_in,
                          cudaStream_t stream) const {
  launch_diff_augment_backward(policy_, draws_[static_cast<int>(site)], B, channels_, height_, width_, grad_out,
                               grad_in, stream);
}

std::pair<const float*, const float*> GpuGanModel::discriminator_step_images(const float* real, const float* fake,
                                                                             int64_t B, float* real_storage,
                                                                             float* fake_storage,
                                                                             cudaStream_t stream) const {
  if (augment_ == nullptr || !augment_->on()) return {real, fake};
  NvtxRange range("augment");
  return {to_discriminator(AugmentSite::kReal, real, B, real_storage, stream),
          to_discriminator(AugmentSite::kFakeD, fake, B, fake_storage, stream)};
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
