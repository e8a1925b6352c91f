// The losses and the optimiser: BCE with logits (saturated logits included) and the hinge loss's
// two kernels (logits on the kinks included) against the double reference; Adam against the
// float CPU code it must reproduce (at most 1 ulp), on both the float4 path and the unaligned
// scalar path, at odd sizes and late steps.
#include "gpu/gpu_test.h"

namespace gan {
namespace {

using testing::kOddSizes;

TEST(GpuBce, MatchesTheReferenceForAnySplit) {
  GAN_REQUIRE_GPU();
  for (int64_t real : {0, 1, 7, 128, 1000})
    for (int64_t fake : {0, 1, 7, 128, 1000}) {
      if (real + fake == 0) continue;
      GAN_EXPECT_KERNEL_MATCHES(check_bce(real, fake, seed));
    }
  GAN_EXPECT_KERNEL_MATCHES(check_bce(8192, 8192, seed));
}

TEST(GpuHinge, BothLossesMatchTheReferenceForAnySplit) {
  GAN_REQUIRE_GPU();
  for (int64_t real : {1, 7, 128, 1000}) {
    GAN_EXPECT_KERNEL_MATCHES(check_hinge_generator(real, seed));
    for (int64_t fake : {0, 1, 7, 128, 1000}) GAN_EXPECT_KERNEL_MATCHES(check_hinge_discriminator(real, fake, seed));
  }
  GAN_EXPECT_KERNEL_MATCHES(check_hinge_discriminator(0, 7, seed));
  GAN_EXPECT_KERNEL_MATCHES(check_hinge_discriminator(8192, 8192, seed));
}

TEST(GpuAdam, ReproducesTheCpuUpdateOnBothPaths) {
  GAN_REQUIRE_GPU();
  for (int64_t n : kOddSizes)
    for (bool misalign : {false, true})
      for (uint64_t step : {1, 2, 1000, 94000}) {
        GAN_EXPECT_KERNEL_MATCHES(check_adam(static_cast<size_t>(n), misalign, step, seed));
      }
  GAN_EXPECT_KERNEL_MATCHES(check_adam(1486352, false, 7, seed));
}

TEST(GpuEma, ReproducesTheCpuAverageToTheBit) {
  GAN_REQUIRE_GPU();
  for (int64_t n : kOddSizes)
    for (uint64_t update : {1, 9, 5000, 94000}) {
      GAN_EXPECT_KERNEL_MATCHES(check_ema(static_cast<size_t>(n), update, seed));
    }
}

}  // namespace
}  // namespace gan
