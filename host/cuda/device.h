#pragma once
// defines: visible_gpus, GpuInfo
#include <string>
#include <vector>

namespace gan {

struct GpuInfo {
  int index = 0;
  std::string name;
  int major = 0, minor = 0;
  size_t memory_bytes = 0;
};

// The CUDA devices this process can use; empty when there is no GPU, no driver, or the driver
// is too old for this build's runtime (never throws). *why, if given, says why it is empty.
std::vector<GpuInfo> visible_gpus(std::string* why = nullptr);

}  // namespace gan
