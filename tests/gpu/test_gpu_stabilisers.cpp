// The stabilisers' kernels on the GPU: spectral norm (--spectral-norm) against cpu/spectral_norm.h
// at odd shapes, a single row or column, and D's real shapes (the MLP's, the DCGAN's convolutions);
// DiffAugment (--augment) against cpu/augment.h and model/augment.h on grey, colour, non-square and
// one-pixel images, each transform alone and all three.
#include <tuple>
#include <vector>

#include "check/stabiliser_checks.h"
#include "gpu/gpu_test.h"
#include "model/dcgan_spec.h"
#include "model/spectral_norm.h"

namespace gan {
namespace {

TEST(GpuSpectralNorm, MatchesTheReferenceOnAnyShape) {
  GAN_REQUIRE_GPU();
  for (int64_t rows : {1, 7, 33, 513})
    for (int64_t cols : {1, 5, 47, 784}) GAN_EXPECT_KERNEL_MATCHES(check_spectral_norm(rows, cols, seed));
  const TrainConfig config = resolve_config("", {});
  for (ModelSpec spec : {make_mlp_spec(config, 28, 28), make_canonical_dcgan_spec(100, 64, 3, 64, 0.2f)}) {
    add_spectral_norm(&spec.discriminator);
    for (const SpectralNormLayer& layer : spec.discriminator.spectral_norm) {
      GAN_EXPECT_KERNEL_MATCHES(check_spectral_norm(layer.rows, layer.cols, seed));
    }
  }
}

TEST(GpuDiffAugment, DrawsTheCpuFloatsAndMatchesTheReferenceOnAnyShape) {
  GAN_REQUIRE_GPU();
  for (auto [B, H, W] : {std::tuple<int64_t, int64_t, int64_t>{1, 28, 28}, {37, 9, 13}, {128, 64, 64}, {3, 1, 1}}) {
    GAN_EXPECT_KERNEL_MATCHES(check_augment_draws(B, H, W, seed));
  }
  std::vector<AugmentPolicy> policies;
  for (const char* list : {"color", "translation", "cutout", "color,translation", "translation,cutout",
                           "color,translation,cutout"}) {
    policies.emplace_back();
    ASSERT_EQ(parse_augment_policy(list, &policies.back()), "");
  }
  for (const AugmentPolicy& policy : policies) {
    for (auto [B, C, H, W] : {std::tuple<int64_t, int64_t, int64_t, int64_t>{1, 1, 1, 1}, {3, 1, 28, 28},
                              {5, 3, 32, 32}, {2, 3, 64, 64}, {7, 2, 9, 13}}) {
      GAN_EXPECT_KERNEL_MATCHES(check_diff_augment(policy, B, C, H, W, seed));
    }
  }
}

}  // namespace
}  // namespace gan
