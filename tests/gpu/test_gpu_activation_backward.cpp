// dZ = dY * act'(Y) with the bias gradient (column sums, fixed order) in the same kernel.
#include "gpu/gpu_test.h"

namespace gan {
namespace {

using testing::kOddSizes;

TEST(GpuActivationBackward, MatchesTheReferenceWithAndWithoutTheBiasGradient) {
  GAN_REQUIRE_GPU();
  for (Activation a : {Activation::kLeakyRelu, Activation::kTanh, Activation::kIdentity})
    for (int64_t B : kOddSizes)
      for (int64_t out : kOddSizes)
        for (bool with_bias : {true, false}) {
          GAN_EXPECT_KERNEL_MATCHES(check_activation_backward(B, out, a, with_bias, seed));
        }
  GAN_EXPECT_KERNEL_MATCHES(check_activation_backward(8192, 1024, Activation::kLeakyRelu, true, seed));
}

}  // namespace
}  // namespace gan
