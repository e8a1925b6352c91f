// defines: normal_noise_kernel (one thread per Philox block of four normals)
#include "cuda_check.cuh"
#include "noise.cuh"

namespace gan {

__global__ void normal_noise_kernel(float* __restrict__ out, int64_t count, uint64_t seed,
                                    uint32_t purpose, const uint64_t* __restrict__ device_step) {
  const int64_t block_index = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t first = block_index * 4;
  if (first >= count) return;
  const uint64_t step = *device_step;
  const Philox4 bits = random_block(seed, static_cast<RandomPurpose>(purpose), step,
                                    static_cast<uint32_t>(block_index));
  for (uint32_t lane = 0; lane < 4; ++lane) {
    if (first + lane < count) out[first + lane] = random_normal_from_block(bits, lane);
  }
}

void launch_normal_noise(float* out, int64_t count, uint64_t seed, RandomPurpose purpose,
                         const uint64_t* device_step, cudaStream_t stream) {
  if (count <= 0) return;
  const int threads = 256;
  const int64_t blocks_of_four = (count + 3) / 4;
  const int64_t grid = (blocks_of_four + threads - 1) / threads;
  normal_noise_kernel<<<static_cast<unsigned>(grid), threads, 0, stream>>>(
      out, count, seed, static_cast<uint32_t>(purpose), device_step);
  GAN_CHECK_LAUNCH("normal_noise_kernel");
}

}  // namespace gan
