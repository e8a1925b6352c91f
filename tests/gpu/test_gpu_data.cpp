// The draws and the data: Philox noise (within 1 ulp of the CPU), the gather + normalise of a
// batch (bit-identical) and the per-epoch permutation (identical to the CPU's order).
#include "gpu/gpu_test.h"

namespace gan {
namespace {

using testing::kOddSizes;

TEST(GpuNoise, MatchesTheCpuStream) {
  GAN_REQUIRE_GPU();
  for (int64_t n : kOddSizes)
    for (uint64_t step : {1ULL, 2ULL, 5000000000ULL}) GAN_EXPECT_KERNEL_MATCHES(check_noise(n, step, seed));
  GAN_EXPECT_KERNEL_MATCHES(check_noise(8192 * 100, 3, seed));
}

TEST(GpuGather, IsBitIdenticalToTheCpu) {
  GAN_REQUIRE_GPU();
  for (int64_t pixels : {1, 7, 784})
    for (int64_t batch : kOddSizes) GAN_EXPECT_KERNEL_MATCHES(check_gather(1000, pixels, batch, seed));
}

TEST(GpuPermutation, IsTheCpusOrder) {
  GAN_REQUIRE_GPU();
  for (uint32_t count : {1u, 7u, 129u, 1000u, 60000u})
    for (uint64_t epoch : {1, 2, 200}) GAN_EXPECT_KERNEL_MATCHES(check_permutation(count, epoch, seed));
}

}  // namespace
}  // namespace gan
