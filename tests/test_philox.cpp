// Philox4x32-10 against the Random123 known-answer vectors, and the streams built on it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

#include "model/random_streams.h"
#include "philox.cuh"

namespace gan {
namespace {

struct KnownAnswer {
  Philox4 counter;
  uint32_t key0, key1;
  Philox4 expected;
};

// Random123's kat_vectors, "philox4x32 10" lines: counter (4 words), key (2 words), result.
TEST(Philox, MatchesRandom123KnownAnswers) {
  const KnownAnswer cases[] = {
      {{{0, 0, 0, 0}}, 0, 0, {{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}}},
      {{{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}}, 0xffffffff, 0xffffffff,
       {{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}}},
      {{{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}}, 0xa4093822, 0x299f31d0,
       {{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}}},
  };
  for (const auto& c : cases) {
    const Philox4 out = philox4x32_10(c.counter, c.key0, c.key1);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(out.v[i], c.expected.v[i]) << "word " << i;
  }
}

TEST(Philox, StreamsDependOnEveryCounterField) {
  const uint32_t base = random_bits(7, RandomPurpose::kNoiseDiscriminator, 3, 5);
  EXPECT_NE(base, random_bits(8, RandomPurpose::kNoiseDiscriminator, 3, 5));
  EXPECT_NE(base, random_bits(7, RandomPurpose::kNoiseGenerator, 3, 5));
  EXPECT_NE(base, random_bits(7, RandomPurpose::kNoiseDiscriminator, 4, 5));
  EXPECT_NE(base, random_bits(7, RandomPurpose::kNoiseDiscriminator, 3 + (uint64_t{1} << 32), 5));
  EXPECT_NE(base, random_bits(7, RandomPurpose::kNoiseDiscriminator, 3, 6));
  EXPECT_EQ(base, random_bits(7, RandomPurpose::kNoiseDiscriminator, 3, 5));
}

TEST(Philox, UniformsStayInRange) {
  EXPECT_GT(random_open01(0), 0.0);
  EXPECT_LT(random_open01(0xffffffffu), 1.0);
  EXPECT_EQ(random_uniform01(0), 0.0f);
  EXPECT_LT(random_uniform01(0xffffffffu), 1.0f);
}

TEST(Philox, NormalsHaveUnitMomentsAndFiniteValues) {
  const int64_t n = 200000;
  std::vector<float> z(n);
  fill_normal(42, RandomPurpose::kNoiseGenerator, 9, z.data(), n);
  double sum = 0, sum_sq = 0, sum_4 = 0;
  for (float x : z) {
    ASSERT_TRUE(std::isfinite(x));
    sum += x;
    sum_sq += double(x) * x;
    sum_4 += double(x) * x * x * x;
  }
  const double mean = sum / n, var = sum_sq / n - mean * mean;
  EXPECT_NEAR(mean, 0.0, 0.01);   // 4.5 standard errors
  EXPECT_NEAR(var, 1.0, 0.015);
  EXPECT_NEAR(sum_4 / n, 3.0, 0.1);  // Gaussian kurtosis
}

TEST(Philox, FillNormalMatchesElementwiseDraws) {
  std::vector<float> z(1001);  // not a multiple of 4: the tail block
  fill_normal(3, RandomPurpose::kNoiseDiscriminator, 17, z.data(), 1001);
  for (int64_t e : {0, 1, 2, 3, 4, 500, 999, 1000}) {
    EXPECT_EQ(z[e], random_normal(3, RandomPurpose::kNoiseDiscriminator, 17, e)) << "element " << e;
  }
}

TEST(Philox, EpochPermutationIsAPermutationSortedByKey) {
  for (uint32_t count : {1u, 7u, 129u, 1000u}) {
    const auto order = epoch_permutation(5, 2, count);
    std::vector<uint32_t> sorted = order;
    std::sort(sorted.begin(), sorted.end());
    std::vector<uint32_t> identity(count);
    std::iota(identity.begin(), identity.end(), 0u);
    ASSERT_EQ(sorted, identity) << count;
    for (uint32_t i = 1; i < count; ++i) {
      const uint32_t a = random_bits(5, RandomPurpose::kShuffle, 2, order[i - 1]);
      const uint32_t b = random_bits(5, RandomPurpose::kShuffle, 2, order[i]);
      ASSERT_TRUE(a < b || (a == b && order[i - 1] < order[i])) << "position " << i;
    }
  }
  EXPECT_NE(epoch_permutation(5, 0, 1000), epoch_permutation(5, 1, 1000));
  EXPECT_EQ(epoch_permutation(5, 1, 1000), epoch_permutation(5, 1, 1000));
}

}  // namespace
}  // namespace gan
