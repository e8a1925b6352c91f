// defines: bce_with_logits_kernel
#include <cub/block/block_reduce.cuh>

#include <string>

#include "bce.cuh"
#include "cuda_check.cuh"

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
  using Reduce = cub::BlockReduce<double, kThreads>;
  __shared__ typename Reduce::TempStorage temp;
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
  // Four reductions through one temporary storage: a barrier between each.
  const double total_loss_real = Reduce(temp).Sum(loss_real);
  __syncthreads();
  const double total_loss_fake = Reduce(temp).Sum(loss_fake);
  __syncthreads();
  const double total_prob_real = Reduce(temp).Sum(prob_real);
  __syncthreads();
  const double total_prob_fake = Reduce(temp).Sum(prob_fake);
  if (threadIdx.x == 0) {  // CUB's block sums are valid in thread 0
    const double real = n_real > 0 ? static_cast<double>(n_real) : 1.0;
    const double fake = n_fake > 0 ? static_cast<double>(n_fake) : 1.0;
    stats->loss_real = static_cast<float>(total_loss_real / real);
    stats->loss_fake = static_cast<float>(total_loss_fake / fake);
    stats->prob_real = static_cast<float>(total_prob_real / real);
    stats->prob_fake = static_cast<float>(total_prob_fake / fake);
  }
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
