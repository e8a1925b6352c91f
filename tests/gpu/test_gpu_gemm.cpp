// The backward GEMMs through cuBLAS (dW = dZ^T X, dX = dZ W) on non-square, odd sizes, so a
// swapped dimension in the row-major / column-major mapping cannot pass.
#include "gpu/gpu_test.h"

namespace gan {
namespace {

using testing::kOddSizes;

TEST(GpuGemm, WeightGradientMatchesTheReference) {
  GAN_REQUIRE_GPU();
  for (int64_t B : kOddSizes)
    for (int64_t in : kOddSizes)
      for (int64_t out : kOddSizes) {
        if (B * in * out > 200'000'000) continue;
        GAN_EXPECT_KERNEL_MATCHES(check_gemm_weight_grad(B, in, out, false, seed));
      }
  GAN_EXPECT_KERNEL_MATCHES(check_gemm_weight_grad(256, 784, 512, true, seed));
}

TEST(GpuGemm, InputGradientMatchesTheReference) {
  GAN_REQUIRE_GPU();
  for (int64_t B : kOddSizes)
    for (int64_t in : kOddSizes)
      for (int64_t out : kOddSizes) {
        if (B * in * out > 200'000'000) continue;
        GAN_EXPECT_KERNEL_MATCHES(check_gemm_input_grad(B, in, out, false, seed));
      }
  GAN_EXPECT_KERNEL_MATCHES(check_gemm_input_grad(256, 784, 512, true, seed));
}

}  // namespace
}  // namespace gan
