// defines: bce_with_logits_kernel
#include <string>

#include "bce.cuh"
#include "cuda_check.cuh"
#include "loss_stats.cuh"

namespace gan {
namespace {

constexpr int kThreads = 512;

__device__ __forceinline__ float softplus(float x) {  // log(1 + e^x), without overflow
  return fmaxf(x, 0.0f) + log1pf(expf(-fabsf(x)));
}

__device__ __forceinline__ float sigmoid(float x) {
  if (x >= 0.0f) return __fdiv_rn(1.0f, 1.0f + expf(-x));
  const float e = expf(x);
  return __fdiv_rn(e, 1.0f + e);
}

// One block: at the seed's sizes (2 x 128 logits) a grid would cost more than it saves, and one
// block keeps the reduction order fixed without a second pass.
__global__ void __launch_bounds__(kThreads)
bce_with_logits_kernel(const float* __restrict__ logits,  // [n_real + n_fake]
                       int64_t n_real, int64_t n_fake,
                       float* __restrict__ dlogit,        // [n_real + n_fake]
                       BceDeviceStats* __restrict__ stats) {
  __shared__ typename LossReduce<kThreads>::TempStorage temp;
  double loss_real = 0, loss_fake = 0, prob_real = 0, prob_fake = 0;
  for (int64_t i = threadIdx.x; i < n_real + n_fake; i += kThreads) {
    const float x = logits[i];
    if (i < n_real) {
      loss_real += softplus(-x);
      prob_real += sigmoid(x);
      // d softplus(-x) / dx = -sigmoid(-x): exact even where sigmoid(x) rounds to 1.
      dlogit[i] = __fdiv_rn(-sigmoid(-x), static_cast<float>(n_real));
    } else {
      loss_fake += softplus(x);
      const float p = sigmoid(x);
      prob_fake += p;
      dlogit[i] = __fdiv_rn(p, static_cast<float>(n_fake));
    }
  }
  store_loss_stats<kThreads>(temp, loss_real, loss_fake, prob_real, prob_fake, n_real, n_fake, stats);
}

}  // namespace

void launch_bce_with_logits(const float* logits, int64_t n_real, int64_t n_fake, float* dlogit,
                            BceDeviceStats* stats, cudaStream_t stream) {
  if (n_real < 0 || n_fake < 0) {
    throw InternalError("bce: negative counts " + std::to_string(n_real) + ", " + std::to_string(n_fake));
  }
  bce_with_logits_kernel<<<1, kThreads, 0, stream>>>(logits, n_real, n_fake, dlogit, stats);
  GAN_CHECK_LAUNCH("bce_with_logits_kernel");
}

}  // namespace gan
