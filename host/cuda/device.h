#pragma once
// defines: GpuInfo, built_with_cuda, visible_gpus, fp32_lanes_per_multiprocessor, fp32_peak_flops
// — the GPUs this process can use; plain C++, compiled in every build (without CUDA, none)
#include <string>
#include <vector>

namespace gan {

struct GpuInfo {
  int index = 0;
  std::string name;
  int major = 0, minor = 0;
  size_t memory_bytes = 0;
  int multiprocessors = 0;
  int clock_khz = 0;  // the SM clock the driver reports (boost)
};

// FP32 FMA lanes per multiprocessor for compute capability major.minor (CUDA programming
// guide, arithmetic instructions table); 0 where unknown.
int fp32_lanes_per_multiprocessor(int major, int minor);

// The FP32 (non-tensor) peak in FLOP/s: multiprocessors x lanes x 2 (an FMA) x clock. The
// arithmetic floor of a step is its FLOP count over this. 0 where unknown.
double fp32_peak_flops(const GpuInfo& gpu);

// Whether this build has CUDA (the GPU trainer, `gan check`): false when it was configured
// without a CUDA compiler.
bool built_with_cuda();

// The CUDA devices this process can use; empty when there is no GPU, no driver, or the driver
// is too old for this build's runtime (never throws). *why, if given, says why it is empty.
std::vector<GpuInfo> visible_gpus(std::string* why = nullptr);

}  // namespace gan
