// defines: add_into_kernel
#include <algorithm>

#include "add.cuh"
#include "cuda_check.cuh"

namespace gan {
namespace {

__global__ void add_into_kernel(float* __restrict__ y, const float* __restrict__ x, size_t n) {
  for (size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    y[i] += x[i];
  }
}

}  // namespace

void launch_add_into(float* y, const float* x, size_t n, cudaStream_t stream) {
  if (n == 0) return;
  const int threads = 256;
  const size_t blocks = std::min<size_t>((n + threads - 1) / threads, 65535);
  add_into_kernel<<<static_cast<unsigned>(blocks), threads, 0, stream>>>(y, x, n);
  GAN_CHECK_LAUNCH("add_into_kernel");
}

}  // namespace gan
