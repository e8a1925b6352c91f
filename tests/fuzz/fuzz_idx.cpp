// libFuzzer target: the IDX reader (gzip detection and inflation, header checks) on any bytes.
// Every input must either parse or throw gan::Error; anything else (a crash, a sanitizer
// report, another exception) is a bug.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "data/idx.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<uint8_t> bytes(data, data + size);
  for (int dims : {1, 3}) {
    try {
      const gan::IdxArray array = gan::parse_idx(gan::gunzip_if_needed(bytes, "fuzz"), dims, "fuzz");
      size_t count = 1;
      for (uint32_t d : array.dims) count *= d;
      if (count != array.data.size()) __builtin_trap();  // the reader's own promise
    } catch (const gan::Error&) {
    }
  }
  return 0;
}
