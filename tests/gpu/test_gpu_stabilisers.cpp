// The stabilisers' kernels on the GPU: spectral norm (--spectral-norm) against cpu/spectral_norm.h
// at odd shapes, a single row or column, and D's real shapes (the MLP's, the DCGAN's convolutions).
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

}  // namespace
}  // namespace gan
