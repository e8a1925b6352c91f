#include "model/random_streams.h"

#include <algorithm>

#include "util/parallel.h"

namespace gan {

void fill_normal(uint64_t seed, RandomPurpose purpose, uint64_t step, float* out, int64_t count) {
  const size_t blocks = static_cast<size_t>((count + 3) / 4);
  parallel_for(blocks, 1024, [=](size_t begin, size_t end) {
    for (size_t b = begin; b < end; ++b) {
      const Philox4 block = random_block(seed, purpose, step, static_cast<uint32_t>(b));
      const int64_t first = static_cast<int64_t>(b) * 4;
      for (uint32_t lane = 0; lane < 4 && first + lane < count; ++lane) {
        out[first + lane] = random_normal_from_block(block, lane);
      }
    }
  });
}

void fill_classes(uint64_t seed, RandomPurpose purpose, uint64_t step, int64_t classes, int32_t* out, int64_t count) {
  for (int64_t i = 0; i < count; ++i) {
    out[i] = random_class(random_bits(seed, purpose, step, static_cast<uint64_t>(i)), static_cast<uint32_t>(classes));
  }
}

std::vector<uint32_t> epoch_permutation(uint64_t seed, uint64_t epoch, uint32_t count) {
  // (key << 32 | index): sorting these 64-bit values sorts by key, then by index.
  std::vector<uint64_t> keyed(count);
  for (uint32_t first = 0; first < count; first += 4) {
    const Philox4 block = random_block(seed, RandomPurpose::kShuffle, epoch, first / 4);
    for (uint32_t lane = 0; lane < 4 && first + lane < count; ++lane) {
      keyed[first + lane] = (uint64_t{block.v[lane]} << 32) | (first + lane);
    }
  }
  std::sort(keyed.begin(), keyed.end());
  std::vector<uint32_t> order(count);
  for (uint32_t i = 0; i < count; ++i) order[i] = static_cast<uint32_t>(keyed[i]);
  return order;
}

}  // namespace gan
