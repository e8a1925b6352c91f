// ArenaLayout: every placed pointer gets its own aligned piece of the size it asked for, so the
// GPU trainer's buffers (placed through DeviceArena) cannot overlap or be wired to another's piece.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "util/arena_layout.h"

namespace gan {
namespace {

TEST(ArenaLayout, EachPointerGetsItsOwnAlignedPieceOfItsSize) {
  ArenaLayout layout;
  float *a = nullptr, *b = nullptr, *empty = reinterpret_cast<float*>(1), *d = nullptr;
  uint8_t* bytes = nullptr;
  uint64_t* word = nullptr;
  layout.place(&a, 3);
  layout.place(&bytes, 1001);
  layout.place(&b, 257);
  layout.place(&empty, 0);
  layout.place(&word, 1);
  layout.place(&d, 64);
  std::vector<char> memory(layout.bytes() + ArenaLayout::kAlignment);
  // A base that is itself aligned, as cudaMalloc's is.
  char* base = memory.data() + (ArenaLayout::kAlignment -
                                reinterpret_cast<uintptr_t>(memory.data()) % ArenaLayout::kAlignment) %
                                   ArenaLayout::kAlignment;
  layout.point(base);

  EXPECT_EQ(empty, nullptr);  // nothing asked for: null, not a pointer into another's piece
  const std::vector<std::pair<const char*, size_t>> pieces = {
      {reinterpret_cast<char*>(a), 3 * sizeof(float)},   {reinterpret_cast<char*>(bytes), 1001},
      {reinterpret_cast<char*>(b), 257 * sizeof(float)}, {reinterpret_cast<char*>(word), sizeof(uint64_t)},
      {reinterpret_cast<char*>(d), 64 * sizeof(float)}};
  for (size_t i = 0; i < pieces.size(); ++i) {
    const auto [start, size] = pieces[i];
    ASSERT_NE(start, nullptr) << i;
    EXPECT_EQ((start - base) % static_cast<ptrdiff_t>(ArenaLayout::kAlignment), 0) << i;
    EXPECT_LE(start + size, base + layout.bytes()) << i;
    for (size_t j = 0; j < i; ++j) {  // no two pieces overlap
      const auto [other, other_size] = pieces[j];
      EXPECT_TRUE(start >= other + other_size || other >= start + size) << i << " overlaps " << j;
    }
  }
  // Placed in order: each piece starts after the one before it.
  EXPECT_LT(reinterpret_cast<char*>(a), reinterpret_cast<char*>(bytes));
  EXPECT_LT(reinterpret_cast<char*>(b), reinterpret_cast<char*>(word));
  // extents() lists the pieces where point() put them, in placing order (the empty one too).
  const std::vector<ArenaLayout::Extent> extents = layout.extents();
  ASSERT_EQ(extents.size(), 6u);
  const char* starts[] = {reinterpret_cast<char*>(a), reinterpret_cast<char*>(bytes), reinterpret_cast<char*>(b),
                          nullptr, reinterpret_cast<char*>(word), reinterpret_cast<char*>(d)};
  const size_t sizes[] = {3 * sizeof(float), 1001, 257 * sizeof(float), 0, sizeof(uint64_t), 64 * sizeof(float)};
  for (size_t i = 0; i < extents.size(); ++i) {
    EXPECT_EQ(extents[i].bytes, sizes[i]) << i;
    if (starts[i]) EXPECT_EQ(base + extents[i].offset, starts[i]) << i;
  }
}

TEST(ArenaLayout, AnEmptyLayoutNeedsNoBytes) {
  ArenaLayout layout;
  float* nothing = reinterpret_cast<float*>(1);
  layout.place(&nothing, 0);
  EXPECT_EQ(layout.bytes(), 0u);
  layout.point(nullptr);
  EXPECT_EQ(nothing, nullptr);
}

}  // namespace
}  // namespace gan
