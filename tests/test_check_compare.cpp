// How `gan check` and the GPU tests judge a kernel (host/check/check_compare.h), on the CPU: a
// check must fail on NaN, on an unwritten (poisoned) element, on a short output and on an error
// over its bound, and pass on a faithful output.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "check/check_compare.h"

namespace gan {
namespace {

const float kNan = std::numeric_limits<float>::quiet_NaN();

TEST(CheckCompare, RelativeErrorIsMeasuredAgainstTheReferencesScale) {
  KernelCheck check = start_check("k", "n=3", 1e-3, "rel");
  compare_relative(check, {1.0f, -2.0f, 4.001f}, {1.0, -2.0, 4.0});
  check = finish_check(check);
  EXPECT_NEAR(check.max_abs, 0.001, 1e-6);
  EXPECT_NEAR(check.error, 0.001 / 4.0, 1e-6);
  EXPECT_TRUE(check.pass);

  KernelCheck too_far = start_check("k", "n=2", 1e-5, "rel");
  compare_relative(too_far, {1.0f, 2.1f}, {1.0, 2.0});
  EXPECT_FALSE(finish_check(too_far).pass);
}

TEST(CheckCompare, NanInfinityAndPoisonNeverPass) {
  for (float bad : {kNan, std::numeric_limits<float>::infinity()}) {
    KernelCheck check = start_check("k", "n=2", 1e30, "rel");
    compare_relative(check, {1.0f, bad}, {1.0, 2.0});
    check = finish_check(check);
    EXPECT_EQ(check.nonfinite, 1);
    EXPECT_FALSE(check.pass);
  }
  // 0xFFFFFFFF, the poison DeviceBuffer::poison writes, is a NaN.
  uint32_t poison_bits = 0xFFFFFFFFu;
  float poison;
  std::memcpy(&poison, &poison_bits, sizeof poison);
  KernelCheck check = start_check("k", "n=1", 1e30, "ulp");
  compare_ulps(check, {poison}, {0.0f});
  EXPECT_FALSE(finish_check(check).pass);
}

TEST(CheckCompare, AShortOutputFails) {
  KernelCheck check = start_check("k", "n=3", 1, "rel");
  compare_relative(check, {1.0f, 2.0f}, {1.0, 2.0, 3.0});
  check = finish_check(check);
  EXPECT_EQ(check.nonfinite, 1);
  EXPECT_FALSE(check.pass);
}

TEST(CheckCompare, AnAllZeroReferenceUsesTheAbsoluteError) {
  KernelCheck check = start_check("k", "n=2", 1e-6, "rel");
  compare_relative(check, {0.0f, 1e-3f}, {0.0, 0.0});
  EXPECT_FALSE(finish_check(check).pass);
}

TEST(CheckCompare, UlpDistanceCountsRepresentableFloats) {
  EXPECT_EQ(ulp_distance(1.0f, 1.0f), 0);
  EXPECT_EQ(ulp_distance(1.0f, std::nextafter(1.0f, 2.0f)), 1);
  EXPECT_EQ(ulp_distance(std::nextafter(1.0f, 0.0f), std::nextafter(1.0f, 2.0f)), 2);
  EXPECT_EQ(ulp_distance(0.0f, -0.0f), 0);
  const float tiny = std::numeric_limits<float>::denorm_min();
  EXPECT_EQ(ulp_distance(tiny, -tiny), 2);
  KernelCheck check = start_check("k", "n=2", 1, "ulp");
  compare_ulps(check, {1.0f, std::nextafter(std::nextafter(3.0f, 4.0f), 4.0f)}, {1.0f, 3.0f});
  check = finish_check(check);
  EXPECT_EQ(check.error, 2);
  EXPECT_FALSE(check.pass);
}

}  // namespace
}  // namespace gan
