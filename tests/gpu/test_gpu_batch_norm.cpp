// The DCGAN's fused BatchNorm + activation kernels (kernels/batch_norm.cu) against the CPU
// reference in double, on odd shapes (one element per channel and image up to a block's worth
// many times over), with ReLU and LeakyReLU after them.
#include "gpu/gpu_test.h"

namespace gan {
namespace {

const int64_t kShapes[][3] = {{2, 1, 1}, {1, 3, 49}, {7, 5, 13}, {33, 17, 196}, {129, 2, 49}};
// The backward pass without B * HW = 2: with two values per channel dx is a cancellation residue
// of size eps / var times dy (x_hat = +-sqrt(var / (var + eps))), below float's resolution of the
// terms it is computed from, so no relative bound on it means anything there.
const int64_t kBackwardShapes[][3] = {{1, 3, 49}, {7, 5, 13}, {33, 17, 196}, {129, 2, 49}, {3, 1, 1}};

TEST(GpuBatchNorm, FusedForwardMatchesTheReference) {
  GAN_REQUIRE_GPU();
  for (const auto& [B, C, HW] : kShapes) {
    for (float slope : {0.0f, 0.2f}) GAN_EXPECT_KERNEL_MATCHES(check_batch_norm_fused_forward(B, C, HW, slope, seed));
  }
}

TEST(GpuBatchNorm, FusedBackwardMatchesTheReference) {
  GAN_REQUIRE_GPU();
  for (const auto& [B, C, HW] : kBackwardShapes) {
    for (float slope : {0.0f, 0.2f}) GAN_EXPECT_KERNEL_MATCHES(check_batch_norm_fused_backward(B, C, HW, slope, seed));
  }
}

}  // namespace
}  // namespace gan
