// libFuzzer target: the safetensors reader on any bytes. Every input must parse into tensors
// whose data matches their shapes, or throw gan::Error.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "io/safetensors.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const gan::SafetensorsFile file = gan::parse_safetensors(std::vector<uint8_t>(data, data + size), "fuzz");
    for (const auto& [name, tensor] : file.tensors) {
      size_t count = 1;
      for (int64_t d : tensor.shape) count *= static_cast<size_t>(d);
      if (count != tensor.data.size()) __builtin_trap();
    }
  } catch (const gan::Error&) {
  }
  return 0;
}
