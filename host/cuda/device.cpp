#include "cuda/device.h"

#if defined(GAN_HAVE_CUDA)
#include <cuda_runtime.h>
#else
#include "cuda/gpu_api.h"
#include "util/error.h"
#endif

namespace gan {

#if !defined(GAN_HAVE_CUDA)
// A build without CUDA (GAN_WITH_CUDA=OFF, or no CUDA compiler found when it was configured):
// everything else of gan works, and asking for the GPU says why it cannot.
bool built_with_cuda() { return false; }

std::unique_ptr<Trainer> make_gpu_trainer(const ModelSpec&, const Dataset&, const GpuTrainerOptions&) {
  throw InputError("--device cuda: this build of gan has no CUDA (it was configured without the CUDA toolkit; see "
                   "README: Build); use --device cpu");
}

bool gpu_dcgan_available() { return false; }

StepBreakdown measure_step_breakdown(Trainer&, const std::vector<StepPosition>&, const std::vector<StepPosition>&) {
  throw InputError("--breakdown: this build of gan has no CUDA");
}

PeakRates measure_peak_rates(int) { throw InputError("measuring the GPU's rates: this build of gan has no CUDA"); }

std::vector<GpuInfo> visible_gpus(std::string* why) {
  if (why) *why = "this build of gan has no CUDA";
  return {};
}
#else
bool built_with_cuda() { return true; }

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
    if (cudaGetDeviceProperties(&properties, i) != cudaSuccess) {
      cudaGetLastError();  // an ignored failure must not be blamed on a later launch
      continue;
    }
    int clock_khz = 0;
    if (cudaDeviceGetAttribute(&clock_khz, cudaDevAttrClockRate, i) != cudaSuccess) {  // 0 if unavailable
      clock_khz = 0;
      cudaGetLastError();
    }
    gpus.push_back({i, properties.name, properties.major, properties.minor, properties.totalGlobalMem,
                    properties.multiProcessorCount, clock_khz});
  }
  if (gpus.empty() && why) *why = "no CUDA device";
  return gpus;
}
#endif

int fp32_lanes_per_multiprocessor(int major, int minor) {
  if (major == 8) return minor == 0 ? 64 : 128;  // A100: 64; Ampere consumer and Ada: 128
  if (major == 9) return 128;                     // Hopper
  if (major == 10 || major == 12) return 128;     // Blackwell
  if (major == 7) return 64;                      // Volta, Turing
  return 0;
}

double fp32_peak_flops(const GpuInfo& gpu) {
  return static_cast<double>(gpu.multiprocessors) * fp32_lanes_per_multiprocessor(gpu.major, gpu.minor) * 2.0 *
         gpu.clock_khz * 1e3;
}

}  // namespace gan
