#include "cuda/device.h"

#include <cuda_runtime.h>

namespace gan {

std::vector<GpuInfo> visible_gpus(std::string* why) {
  std::vector<GpuInfo> gpus;
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    if (why) *why = cudaGetErrorString(status);
    cudaGetLastError();  // clear the sticky error so later calls start clean
    return gpus;
  }
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp properties{};
    if (cudaGetDeviceProperties(&properties, i) != cudaSuccess) continue;
    gpus.push_back({i, properties.name, properties.major, properties.minor, properties.totalGlobalMem});
  }
  if (gpus.empty() && why) *why = "no CUDA device";
  return gpus;
}

}  // namespace gan
