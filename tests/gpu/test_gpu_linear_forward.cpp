// The forward of a layer on the GPU, both paths (hand-written fused GEMM; cuBLAS + epilogue),
// FP32 and TF32, against the double-precision CPU reference: every activation, odd sizes.
#include "gpu/gpu_test.h"

namespace gan {
namespace {

using testing::kOddSizes;

const Activation kActivations[] = {Activation::kLeakyRelu, Activation::kTanh, Activation::kIdentity};

TEST(GpuLinearForward, FusedFp32AtOddSizesMatchesTheReference) {
  GAN_REQUIRE_GPU();
  for (int64_t B : kOddSizes)
    for (int64_t in : kOddSizes)
      for (int64_t out : kOddSizes) {
        if (B * in * out > 200'000'000) continue;  // the double reference's cost; 1000^3 runs below
        for (Activation a : kActivations) GAN_EXPECT_KERNEL_MATCHES(check_linear_fused(B, in, out, a, false, seed));
      }
}

TEST(GpuLinearForward, FusedAtTheSeedsShapesAndALargeOne) {
  GAN_REQUIRE_GPU();
  for (bool tf32 : {false, true}) {
    GAN_EXPECT_KERNEL_MATCHES(check_linear_fused(128, 100, 256, Activation::kLeakyRelu, tf32, seed));
    GAN_EXPECT_KERNEL_MATCHES(check_linear_fused(128, 1024, 784, Activation::kTanh, tf32, seed));
    GAN_EXPECT_KERNEL_MATCHES(check_linear_fused(256, 784, 512, Activation::kLeakyRelu, tf32, seed));
    GAN_EXPECT_KERNEL_MATCHES(check_linear_fused(256, 256, 1, Activation::kIdentity, tf32, seed));
    GAN_EXPECT_KERNEL_MATCHES(check_linear_fused(1000, 1000, 1000, Activation::kLeakyRelu, tf32, seed));
  }
}

TEST(GpuLinearForward, FusedTf32AtOddSizesMatchesWithinTheTf32Bound) {
  GAN_REQUIRE_GPU();
  for (int64_t B : {int64_t{1}, int64_t{7}, int64_t{129}})
    for (int64_t in : kOddSizes)
      for (int64_t out : {int64_t{1}, int64_t{129}, int64_t{1000}}) {
        for (Activation a : kActivations) GAN_EXPECT_KERNEL_MATCHES(check_linear_fused(B, in, out, a, true, seed));
      }
}

TEST(GpuLinearForward, CublasPlusEpilogueMatchesTheReference) {
  GAN_REQUIRE_GPU();
  for (bool tf32 : {false, true})
    for (int64_t B : kOddSizes)
      for (int64_t in : {int64_t{1}, int64_t{129}, int64_t{1000}})
        for (int64_t out : {int64_t{7}, int64_t{1000}}) {
          for (Activation a : kActivations) GAN_EXPECT_KERNEL_MATCHES(check_linear_cublas(B, in, out, a, tf32, seed));
        }
}

}  // namespace
}  // namespace gan
