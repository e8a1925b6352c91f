#pragma once
// defines: GpuNetwork, GpuAugment, GpuGanModel, gpu_generator_input, enqueue_discriminator_loss,
// enqueue_generator_loss, make_gpu_model,
// make_mlp_gpu_model, make_canonical_dcgan_gpu_model, make_dcgan_gpu_model — what differs between the
// models inside the GPU trainer's step
//
// GpuTrainer owns what every model's step shares (the data set and its permutation, the noise,
// both networks' parameters, gradients, Adam moments and running statistics, the losses, the
// step control, the CUDA graphs). A GpuGanModel owns the rest: its activations and scratch, and
// the forward and backward passes of its two steps, enqueued on the trainer's stream without
// allocating or waiting (so that they can be captured).
#include <cuda_runtime.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "bce.cuh"
#include "cuda/blas.h"
#include "cuda/resources.h"
#include "cuda/gpu_api.h"
#include "model/augment.h"
#include "model/model_spec.h"
#include "util/error.h"

namespace gan {

// One network's flat buffers on the device, laid out as its NetworkSpec says.
struct GpuNetwork {
  const NetworkSpec* spec = nullptr;
  float* params = nullptr;   // [parameter_count]
  float* grads = nullptr;    // [parameter_count]; padding kept zero
  float* buffers = nullptr;  // [buffer_count]: BatchNorm's running statistics (null: none)
};

// DiffAugment (--augment) inside a GPU step: the three sites' draws, which the trainer fills in
// its data stage, and the transforms the models call where D takes its images (the CPU's
// to_discriminator and from_discriminator, cpu/cpu_model.h). Off without --augment.
class GpuAugment {
 public:
  // Places the draws and the colour stage's scratch for batches up to max_batch (nothing when
  // spec.augment is none).
  void plan(DeviceArena& arena, const ModelSpec& spec, int64_t max_batch);
  bool on() const { return policy_ != 0; }
  // Every site's draws [B, kAugmentDraws] for this step, from its noise key in device memory.
  void enqueue_draws(uint64_t seed, const uint64_t* device_noise_key, int64_t B, cudaStream_t stream) const;
  // out [B, C*H*W] = images [B, C*H*W] as D sees them at `site`; the two must not overlap.
  void forward(AugmentSite site, const float* images, int64_t B, float* out, cudaStream_t stream) const;
  // grad_in [B, C*H*W] = the gradient at the images forward(site) took, from grad_out at D's input.
  void backward(AugmentSite site, const float* grad_out, int64_t B, float* grad_in, cudaStream_t stream) const;
  // The site's draws on the device, [max_batch, kAugmentDraws] (null when off).
  const float* draws(AugmentSite site) const { return draws_[static_cast<int>(site)]; }

 private:
  uint32_t policy_ = 0;  // kAugmentColor | kAugmentTranslation | kAugmentCutout
  int64_t channels_ = 0, height_ = 0, width_ = 0;
  float* draws_[3] = {};      // by AugmentSite: [max_batch, kAugmentDraws]
  float* scratch_ = nullptr;  // [max_batch, C*H*W]: the colour stage
};

class GpuGanModel {
 public:
  virtual ~GpuGanModel() = default;
  // How the layers run, for the trainer's description ("forward cuBLAS + epilogue").
  virtual std::string description() const = 0;
  // Places the step's activations and scratch in the arena, for batches up to max_batch; the
  // pointers are set (and the memory zeroed) when the trainer allocates it.
  virtual void plan(DeviceArena& arena, int64_t max_batch) = 0;
  // Where the step's data stage writes the normalised real batch [B, H*W].
  virtual float* real_batch() const = 0;
  // A conditional model's labels, which the trainer writes before the passes read them: [2B] for
  // the D step (the real batch's, then G(z_d)'s) and [B] for the G step (drawn before
  // enqueue_generator_forward). Null for an unconditional model.
  virtual int32_t* discriminator_labels() const { return nullptr; }
  virtual int32_t* generator_labels() const { return nullptr; }
  // Called before a step of this batch size is first enqueued or captured, outside any capture:
  // per-batch-size set-up (descriptors, workspaces) and checks of the size.
  virtual void prepare_batch(int64_t batch) {}
  // The D step's passes: BCE(D(real), 1) + BCE(D(G(z)), 0) into stats, every gradient of D's
  // parameters into d.grads (overwritten), running statistics updated. z: [B, latent].
  virtual void enqueue_discriminator_step(int64_t batch, const float* z, const GpuNetwork& g, const GpuNetwork& d,
                                          BceDeviceStats* stats) = 0;
  // Whether the G step's generator forward stands apart from the rest of the G step: it reads
  // only G's parameters and z and writes only buffers of its own, so the trainer may run it on a
  // side stream beside the whole D step. Not the DCGAN's: its BatchNorm updates running
  // statistics that the D step's forward of G updates too, and in that order.
  virtual bool separable_generator_forward() const { return false; }
  // That forward, G(z) for z [B, latent], on `stream` through `blas` (bound to that stream);
  // the trainer calls it before enqueue_generator_step when separable_generator_forward().
  virtual void enqueue_generator_forward(int64_t batch, const float* z, const GpuNetwork& g, cudaStream_t stream,
                                         const CublasHandle& blas) {}
  // The G step's passes: BCE(D(G(z)), 1) into stats (as its "real" half), G's gradients into
  // g.grads (overwritten); D's parameters are read, not differentiated. With a separable
  // generator forward, G(z) is enqueue_generator_forward's, already enqueued.
  virtual void enqueue_generator_step(int64_t batch, const float* z, const GpuNetwork& g, const GpuNetwork& d,
                                      BceDeviceStats* stats) = 0;
  // After a capture failed partway: join every side stream the model forked and has not joined.
  virtual void rejoin_side_streams() noexcept {}
  // DiffAugment for the steps (--augment; the trainer's, planned and drawn by it). A model whose
  // spec has an augment policy plans buffers for the augmented images and calls it in its passes.
  void set_augment(const GpuAugment* augment) { augment_ = augment; }
  // G(z) for z [count, latent] on the device (with labels [count] on the device when
  // conditional, else null), in evaluation mode, into host images [count, H*W]. Outside the
  // step: allocates and waits.
  virtual void generate(const float* z, const int32_t* labels, int64_t count, const GpuNetwork& g, float* images) = 0;

 protected:
  // Whether the passes augment D's images (spec.augment), for plan(): InternalError when the
  // spec asks for DiffAugment but the trainer set none up, or the reverse (the passes would then
  // read images nothing wrote, or skip the transforms silently).
  bool augmenting(const ModelSpec& spec) const {
    const bool on = augment_ != nullptr && augment_->on();
    if (on != spec.augment.any()) {
      throw InternalError(std::string("GPU model: DiffAugment ") + (on ? "set up for a spec without it" : "in the spec, not set up"));
    }
    return on;
  }
  // images as D sees them at `site`: themselves, or augmented into `storage` [B, C*H*W]. The
  // CPU's to_discriminator.
  const float* to_discriminator(AugmentSite site, const float* images, int64_t B, float* storage,
                                cudaStream_t stream) const {
    if (augment_ == nullptr || !augment_->on()) return images;
    augment_->forward(site, images, B, storage, stream);
    return storage;
  }
  // The D step's real and fake images as D sees them: themselves, or augmented (sites kReal and
  // kFakeD, in an "augment" range) into real_storage and fake_storage [B, C*H*W].
  std::pair<const float*, const float*> discriminator_step_images(const float* real, const float* fake, int64_t B,
                                                                  float* real_storage, float* fake_storage,
                                                                  cudaStream_t stream) const;
  // The gradient at the images to_discriminator(site) took, from that at D's input: grad itself,
  // or written into `storage`. The CPU's from_discriminator.
  const float* from_discriminator(AugmentSite site, const float* grad, int64_t B, float* storage,
                                  cudaStream_t stream) const {
    if (augment_ == nullptr || !augment_->on()) return grad;
    augment_->backward(site, grad, B, storage, stream);
    return storage;
  }

 private:
  const GpuAugment* augment_ = nullptr;
};

// G's input on the device for B rows: z itself, or for a conditional model cat(label_emb(labels), z)
// [B, label_dim + latent], written into `concatenated` on `stream` (the CPU's generator_input).
const float* gpu_generator_input(const ModelSpec& spec, const float* g_params, const float* z, const int32_t* labels,
                                 int64_t B, float* concatenated, cudaStream_t stream);

// The D step's loss under `loss` (--loss) on D's logits [2B] (B real, then B fake), its gradient
// into dlogit [2B] and its stats into `stats`: the BCE kernel or D's hinge kernel. The CPU's
// discriminator_loss (cpu/ops.h).
void enqueue_discriminator_loss(AdversarialLoss loss, const float* logits, int64_t B, float* dlogit,
                                BceDeviceStats* stats, cudaStream_t stream);
// The G step's loss on D's logits of B fakes [B] (the "real" half of stats): the CPU's
// generator_loss.
void enqueue_generator_loss(AdversarialLoss loss, const float* logits, int64_t B, float* dlogit, BceDeviceStats* stats,
                            cudaStream_t stream);

// The model `spec.kind` names ("mlp" or "dcgan"), on `stream` (which `blas` is bound to).
// `spec` must outlive the model.
std::unique_ptr<GpuGanModel> make_gpu_model(const ModelSpec& spec, const GpuModelOptions& options,
                                            cudaStream_t stream, const CublasHandle& blas);
std::unique_ptr<GpuGanModel> make_mlp_gpu_model(const ModelSpec& spec, const GpuModelOptions& options,
                                                cudaStream_t stream, const CublasHandle& blas);
// Throws InputError in a build without cuDNN. A canonical spec (32/64 pixels) gets
// make_canonical_dcgan_gpu_model's model.
std::unique_ptr<GpuGanModel> make_canonical_dcgan_gpu_model(const ModelSpec& spec, const GpuModelOptions& options,
                                                            cudaStream_t stream, const CublasHandle& blas);
std::unique_ptr<GpuGanModel> make_dcgan_gpu_model(const ModelSpec& spec, const GpuModelOptions& options,
                                                  cudaStream_t stream, const CublasHandle& blas);

}  // namespace gan
