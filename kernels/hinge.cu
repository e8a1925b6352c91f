// defines: hinge_loss_kernel
#include <string>

#include "cuda_check.cuh"
#include "hinge.cuh"
#include "loss_stats.cuh"

namespace gan {
namespace {

constexpr int kThreads = 512;

// One block, as the BCE kernel (bce.cu) and for its reasons. generator != 0: G's loss, every
// logit in the real half (n_fake is 0); else D's. Each expression is the CPU reference's in
// float, so dlogit is bit-identical to it and the sums differ only in their order.
__global__ void __launch_bounds__(kThreads)
hinge_loss_kernel(const float* __restrict__ logits,  // [n_real + n_fake]
                  int64_t n_real, int64_t n_fake, int generator,
                  float* __restrict__ dlogit,        // [n_real + n_fake]
                  BceDeviceStats* __restrict__ stats) {
  __shared__ typename LossReduce<kThreads>::TempStorage temp;
  double loss_real = 0, loss_fake = 0, prob_real = 0, prob_fake = 0;
  const float real_step = __fdiv_rn(-1.0f, static_cast<float>(n_real > 0 ? n_real : 1));
  const float fake_step = __fdiv_rn(1.0f, static_cast<float>(n_fake > 0 ? n_fake : 1));
  for (int64_t i = threadIdx.x; i < n_real + n_fake; i += kThreads) {
    const float x = logits[i];
    if (i < n_real) {
      prob_real += x;
      if (generator) {
        loss_real -= x;
        dlogit[i] = real_step;
      } else {
        loss_real += fmaxf(0.0f, 1.0f - x);
        dlogit[i] = x < 1.0f ? real_step : 0.0f;
      }
    } else {
      prob_fake += x;
      loss_fake += fmaxf(0.0f, 1.0f + x);
      dlogit[i] = x > -1.0f ? fake_step : 0.0f;
    }
  }
  store_loss_stats<kThreads>(temp, loss_real, loss_fake, prob_real, prob_fake, n_real, n_fake, stats);
}

void launch_hinge(const float* logits, int64_t n_real, int64_t n_fake, bool generator, float* dlogit,
                  BceDeviceStats* stats, cudaStream_t stream) {
  if (n_real < 0 || n_fake < 0 || (generator && n_fake != 0)) {
    throw InternalError("hinge: bad counts " + std::to_string(n_real) + ", " + std::to_string(n_fake) +
                        (generator ? " (G's loss has no fake half)" : ""));
  }
  hinge_loss_kernel<<<1, kThreads, 0, stream>>>(logits, n_real, n_fake, generator ? 1 : 0, dlogit, stats);
  GAN_CHECK_LAUNCH("hinge_loss_kernel");
}

}  // namespace

void launch_hinge_discriminator(const float* logits, int64_t n_real, int64_t n_fake, float* dlogit,
                                BceDeviceStats* stats, cudaStream_t stream) {
  launch_hinge(logits, n_real, n_fake, false, dlogit, stats, stream);
}

void launch_hinge_generator(const float* logits, int64_t B, float* dlogit, BceDeviceStats* stats,
                            cudaStream_t stream) {
  launch_hinge(logits, B, 0, true, dlogit, stats, stream);
}

}  // namespace gan
