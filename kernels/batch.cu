// defines: gather_normalize_kernel, shuffle_keys_kernel — the batch gather, and the keys the
// permutation is sorted by (with CUB's radix sort)
#include <cub/device/device_radix_sort.cuh>

#include <algorithm>
#include <string>

#include "batch.cuh"
#include "cuda_check.cuh"
#include "philox.cuh"

namespace gan {
namespace {

// One thread per output pixel; consecutive threads read consecutive bytes of one image.
__global__ void gather_normalize_kernel(const uint8_t* __restrict__ images, int64_t pixels,
                                        const uint32_t* __restrict__ order, const uint64_t* __restrict__ device_offset,
                                        int64_t count, float mean, float std, float* __restrict__ out) {
  const int64_t total = count * pixels;
  const uint64_t offset = *device_offset;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t image = i / pixels, pixel = i % pixels;
    const size_t source = static_cast<size_t>(order[offset + image]) * static_cast<size_t>(pixels) + pixel;
    const float unit = __fdiv_rn(static_cast<float>(images[source]), 255.0f);  // ToTensor
    out[i] = __fdiv_rn(__fsub_rn(unit, mean), std);                             // Normalize
  }
}

// keys[i] = lane i % 4 of Philox block i / 4 of the (seed, shuffle, epoch) stream; index[i] = i.
__global__ void shuffle_keys_kernel(uint64_t seed, uint64_t epoch, uint32_t count, uint32_t* __restrict__ keys,
                                    uint32_t* __restrict__ index) {
  const uint32_t i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= count) return;
  const Philox4 block = random_block(seed, RandomPurpose::kShuffle, epoch, i / 4);
  keys[i] = block.v[i % 4];
  index[i] = i;
}

// The workspace: keys in, keys out, indices in (each count uint32, 256-byte aligned), then
// CUB's temporary storage.
size_t round_up(size_t bytes) { return (bytes + 255) / 256 * 256; }

size_t cub_sort_bytes(uint32_t count) {
  size_t bytes = 0;
  GAN_CHECK(cub::DeviceRadixSort::SortPairs(nullptr, bytes, static_cast<const uint32_t*>(nullptr),
                                                 static_cast<uint32_t*>(nullptr),
                                                 static_cast<const uint32_t*>(nullptr),
                                                 static_cast<uint32_t*>(nullptr), static_cast<int64_t>(count)));
  return bytes;
}

}  // namespace

void launch_gather_normalize(const uint8_t* images, int64_t pixels, const uint32_t* order,
                             const uint64_t* device_offset, int64_t count, float mean, float std, float* out,
                             cudaStream_t stream) {
  if (count <= 0 || pixels <= 0) return;
  const int threads = 256;
  const int64_t blocks = std::min<int64_t>((count * pixels + threads - 1) / threads, 65535);
  gather_normalize_kernel<<<static_cast<unsigned>(blocks), threads, 0, stream>>>(images, pixels, order,
                                                                                 device_offset, count, mean, std, out);
  GAN_CHECK_LAUNCH("gather_normalize_kernel");
}

size_t epoch_permutation_workspace_bytes(uint32_t count) {
  return 3 * round_up(sizeof(uint32_t) * static_cast<size_t>(count)) + round_up(cub_sort_bytes(count));
}

void launch_epoch_permutation(uint64_t seed, uint64_t epoch, uint32_t count, uint32_t* order, void* workspace,
                              size_t workspace_bytes, cudaStream_t stream) {
  if (count == 0) return;
  const size_t needed = epoch_permutation_workspace_bytes(count);
  if (workspace_bytes < needed) {
    throw InternalError("epoch permutation: workspace of " + std::to_string(workspace_bytes) + " bytes, needs " +
                    std::to_string(needed));
  }
  char* base = static_cast<char*>(workspace);
  const size_t array = round_up(sizeof(uint32_t) * static_cast<size_t>(count));
  uint32_t* keys_in = reinterpret_cast<uint32_t*>(base);
  uint32_t* keys_out = reinterpret_cast<uint32_t*>(base + array);
  uint32_t* index_in = reinterpret_cast<uint32_t*>(base + 2 * array);
  void* temp = base + 3 * array;
  size_t temp_bytes = workspace_bytes - 3 * array;

  const int threads = 256;
  shuffle_keys_kernel<<<(count + threads - 1) / threads, threads, 0, stream>>>(seed, epoch, count, keys_in, index_in);
  GAN_CHECK_LAUNCH("shuffle_keys_kernel");
  GAN_CHECK(cub::DeviceRadixSort::SortPairs(temp, temp_bytes, keys_in, keys_out, index_in, order,
                                                 static_cast<int64_t>(count), 0, 32, stream));
  GAN_CHECK_LAUNCH("cub::DeviceRadixSort::SortPairs");
}

}  // namespace gan
