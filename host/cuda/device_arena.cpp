#include "cuda/device_arena.h"

#include "util/error.h"
#include "util/memory.h"

namespace gan {

void DeviceArena::allocate(const std::string& what) {
  size_t free_bytes = 0, total_bytes = 0;
  GAN_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  const size_t bytes = layout_.bytes();
  if (bytes > free_bytes) {
    throw InputError(what + " needs " + format_bytes(static_cast<double>(bytes)) + " of GPU memory, but the GPU has " +
                     format_bytes(static_cast<double>(free_bytes)) + " free of " +
                     format_bytes(static_cast<double>(total_bytes)) + " (lower --batch or the layer widths)");
  }
  memory_ = DeviceBuffer<char>(bytes);
  // Zero, so that what must start at zero does (gradient padding, the step's counters).
  if (bytes > 0) GAN_CHECK(cudaMemset(memory_.get(), 0, bytes));
  layout_.point(memory_.get());
}

}  // namespace gan
