#include "test_util.h"

#include "data/idx.h"

namespace gan::testing {

std::vector<uint8_t> make_idx_images(uint32_t count, uint32_t h, uint32_t w, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint8_t> pixels(static_cast<size_t>(count) * h * w);
  for (auto& p : pixels) p = static_cast<uint8_t>(rng() & 0xff);
  return encode_idx({count, h, w}, pixels.data());
}

std::vector<uint8_t> make_idx_labels(uint32_t count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint8_t> labels(count);
  for (auto& l : labels) l = static_cast<uint8_t>(rng() % 10);
  return encode_idx({count}, labels.data());
}

}  // namespace gan::testing
