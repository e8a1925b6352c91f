// defines: ema_update_kernel
#include <algorithm>
#include <cstdint>

#include "cuda_check.cuh"
#include "ema.cuh"

namespace gan {
namespace {

// Grid-stride over [0, n): element i = ema[i] * keep + params[i] * take, each step rounded.
__global__ void ema_update_kernel(float* __restrict__ ema, const float* __restrict__ params, size_t n, double decay,
                                  const uint64_t* __restrict__ device_update) {
  // The decay depends on the update count only: thread 0 of each block computes it once.
  __shared__ float keep, take;
  if (threadIdx.x == 0) {
    const double d = ema_decay_at(decay, *device_update);
    keep = static_cast<float>(d);
    take = static_cast<float>(1.0 - d);
  }
  __syncthreads();
  const float k = keep, t = take;
  const size_t stride = static_cast<size_t>(gridDim.x) * blockDim.x;
  for (size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    ema[i] = __fadd_rn(__fmul_rn(ema[i], k), __fmul_rn(params[i], t));
  }
}

}  // namespace

void launch_ema_update(float* ema, const float* params, size_t n, double decay, const uint64_t* device_update,
                       cudaStream_t stream) {
  if (n == 0) return;
  const int threads = 256;
  const size_t blocks = std::min<size_t>((n + threads - 1) / threads, 4096);
  ema_update_kernel<<<static_cast<unsigned>(blocks), threads, 0, stream>>>(ema, params, n, decay, device_update);
  GAN_CHECK_LAUNCH("ema_update_kernel");
}

}  // namespace gan
