#pragma once
// Helpers of the GPU tests: skip cleanly without a GPU, draw a fresh seed per check (printed on
// failure, so a failing draw can be replayed with `gan check --seed`), and assert a KernelCheck.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "cuda/device.h"
#include "cuda/kernel_checks.h"

#define GAN_REQUIRE_GPU()                                                             \
  do {                                                                                \
    std::string gan_why_no_gpu;                                                       \
    if (::gan::visible_gpus(&gan_why_no_gpu).empty()) {                               \
      GTEST_SKIP() << "no GPU visible (" << gan_why_no_gpu << "): kernel not checked"; \
    }                                                                                 \
  } while (0)

namespace gan::testing {

inline uint64_t fresh_seed() {
  static std::random_device device;
  return (uint64_t{device()} << 32) | device();
}

inline ::testing::AssertionResult passes(const KernelCheck& check) {
  const std::string text = check.kernel + " at " + check.shape + ": error " + std::to_string(check.error) + " " +
                           check.unit + " (bound " + std::to_string(check.bound) + "), max abs " +
                           std::to_string(check.max_abs) + ", non-finite outputs " + std::to_string(check.nonfinite);
  if (check.pass) return ::testing::AssertionSuccess() << text;
  return ::testing::AssertionFailure() << text;
}

// Runs one check with a fresh seed and reports the seed if it fails.
#define GAN_EXPECT_KERNEL_MATCHES(call_with_seed)                       \
  do {                                                                  \
    const uint64_t seed = ::gan::testing::fresh_seed();                 \
    SCOPED_TRACE("seed " + std::to_string(seed));                       \
    EXPECT_TRUE(::gan::testing::passes(call_with_seed));               \
  } while (0)

// Sizes that are multiples of no tile: 1, 7, 129, 1000 (GPU_NOTES).
inline const int64_t kOddSizes[] = {1, 7, 129, 1000};

}  // namespace gan::testing
