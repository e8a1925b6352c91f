#include "cuda/device_arena.h"

#include "util/error.h"
#include "util/memory.h"

namespace gan {

void DeviceArena::allocate(const std::string& what) {
  size_t free_bytes = 0, total_bytes = 0;
  GAN_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  if (bytes_ > free_bytes) {
    throw Error(what + " needs " + format_bytes(static_cast<double>(bytes_)) + " of GPU memory, but the GPU has " +
                format_bytes(static_cast<double>(free_bytes)) + " free of " +
                format_bytes(static_cast<double>(total_bytes)) + " (lower --batch or the layer widths)");
  }
  memory_ = DeviceBuffer<char>(bytes_);
}

}  // namespace gan
