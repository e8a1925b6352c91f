#include "check/stabiliser_checks.h"

#include <cmath>
#include <random>

#include "check/check_inputs.h"
#include "cpu/augment.h"
#include "cpu/spectral_norm.h"
#include "cuda/resources.h"
#include "check/kernel_checks.h"
#include "diff_augment.cuh"
#include "model/spectral_norm.h"
#include "spectral_norm.cuh"

namespace gan {

KernelCheck check_spectral_norm(int64_t rows, int64_t cols, uint64_t seed) {
  // The kernels' sums run in another order than the CPU's, in double: float results within an ulp.
  KernelCheck check = start_check("spectral norm (u, v, sigma, W / sigma, dW)", shape_text({{"rows", rows}, {"cols", cols}}),
                                  kFp32Bound, "rel");
  std::mt19937_64 rng(seed);
  const float bound = 1.0f / std::sqrt(static_cast<float>(cols));  // PyTorch's init scale
  const size_t n = static_cast<size_t>(rows * cols);
  const std::vector<float> W = uniform_values(n, -bound, bound, rng);
  std::vector<float> u = uniform_values(static_cast<size_t>(rows), -1, 1, rng);
  std::vector<float> v = uniform_values(static_cast<size_t>(cols), -1, 1, rng);
  normalise_to_unit_length(u.data(), rows);
  normalise_to_unit_length(v.data(), cols);
  std::vector<float> grad = uniform_values(n, -1, 1, rng);

  CudaStream stream;
  DeviceBuffer<float> d_W(W), d_u(u), d_v(v), d_sigma(1), d_again(1), d_normalised(n), d_grad(grad);
  DeviceBuffer<double> scratch(static_cast<size_t>(spectral_norm_scratch_size(rows, cols)));
  d_sigma.poison();
  d_again.poison();
  d_normalised.poison();
  scratch.poison();  // the kernels write every partial they read
  launch_spectral_norm_sigma(d_W.get(), rows, cols, d_u.get(), d_v.get(), true, d_sigma.get(), scratch.get(),
                             stream.get());
  launch_spectral_norm_sigma(d_W.get(), rows, cols, d_u.get(), d_v.get(), false, d_again.get(), scratch.get(),
                             stream.get());
  launch_spectral_norm_scale(d_W.get(), static_cast<int64_t>(n), d_sigma.get(), d_normalised.get(), stream.get());
  launch_spectral_norm_backward(d_W.get(), rows, cols, d_u.get(), d_v.get(), d_sigma.get(), d_grad.get(),
                                scratch.get(), stream.get());
  stream.synchronize();

  // The CPU trainer's arithmetic in float (cpu/spectral_norm.h).
  spectral_norm_power_iteration(W.data(), rows, cols, u.data(), v.data());
  const float sigma = spectral_norm_sigma(W.data(), rows, cols, u.data(), v.data());
  std::vector<float> normalised(n);
  for (size_t i = 0; i < n; ++i) normalised[i] = W[i] / sigma;
  spectral_norm_backward(W.data(), rows, cols, u.data(), v.data(), sigma, grad.data());
  compare_relative(check, d_u.download(), widen(u));
  compare_relative(check, d_v.download(), widen(v));
  compare_relative(check, d_sigma.download(), {static_cast<double>(sigma)});
  compare_relative(check, d_again.download(), {static_cast<double>(sigma)});  // u, v kept: the same sigma
  compare_relative(check, d_normalised.download(), widen(normalised));
  compare_relative(check, d_grad.download(), widen(grad));
  return finish_check(check);
}

KernelCheck check_augment_draws(int64_t B, int64_t H, int64_t W, uint64_t seed) {
  KernelCheck check = start_check("DiffAugment draws", shape_text({{"B", B}, {"H", H}, {"W", W}}), 0, "ulp");
  const uint64_t step_key = seed % 100000 + 1;
  CudaStream stream;
  DeviceBuffer<uint64_t> d_key(std::vector<uint64_t>{step_key});
  for (AugmentSite site : {AugmentSite::kReal, AugmentSite::kFakeD, AugmentSite::kFakeG}) {
    std::vector<float> want(static_cast<size_t>(B * kAugmentDraws));
    fill_augment_draws(seed, step_key, site, B, H, W, want.data());
    DeviceBuffer<float> d_draws(want.size());
    d_draws.poison();
    launch_augment_draws(seed, d_key.get(), static_cast<uint32_t>(site), B, H, W, d_draws.get(), stream.get());
    stream.synchronize();
    compare_ulps(check, d_draws.download(), want);
  }
  return finish_check(check);
}

KernelCheck check_diff_augment(const AugmentPolicy& policy, int64_t B, int64_t C, int64_t H, int64_t W, uint64_t seed) {
  // The means' sums run in another order than the CPU's, in double; each blend is rounded as
  // the CPU rounds it: float results within an ulp of the CPU's.
  KernelCheck check = start_check("DiffAugment " + augment_policy_name(policy) + " + backward",
                                  shape_text({{"B", B}, {"C", C}, {"H", H}, {"W", W}}), kFp32Bound, "rel");
  std::mt19937_64 rng(seed);
  const size_t n = static_cast<size_t>(B * C * H * W);
  const std::vector<float> images = uniform_values(n, -1, 1, rng);
  std::vector<float> grad = uniform_values(n, -1, 1, rng);
  std::vector<float> draws(static_cast<size_t>(B * kAugmentDraws));
  fill_augment_draws(seed, seed % 1000 + 1, AugmentSite::kFakeG, B, H, W, draws.data());
  const uint32_t bits = augment_policy_bits(policy);

  CudaStream stream;
  DeviceBuffer<float> d_draws(draws), d_images(images), d_scratch(n), d_out(n), d_grad(grad), d_grad_in(n);
  d_scratch.poison();
  d_out.poison();
  d_grad_in.poison();
  launch_diff_augment(bits, d_draws.get(), B, C, H, W, d_images.get(), d_scratch.get(), d_out.get(), stream.get());
  launch_diff_augment_backward(bits, d_draws.get(), B, C, H, W, d_grad.get(), d_grad_in.get(), stream.get());
  stream.synchronize();

  std::vector<float> out(n);
  diff_augment(policy, draws.data(), B, C, H, W, images.data(), out.data());
  diff_augment_backward(policy, draws.data(), B, C, H, W, grad.data());
  compare_relative(check, d_out.download(), widen(out));
  compare_relative(check, d_grad_in.download(), widen(grad));
  return finish_check(check);
}

std::vector<KernelCheck> stabiliser_checks(const ModelSpec& spec, int64_t batch, uint64_t seed) {
  NetworkSpec normalised = spec.discriminator;
  if (normalised.spectral_norm.empty()) add_spectral_norm(&normalised);
  std::vector<KernelCheck> checks;
  for (const SpectralNormLayer& layer : normalised.spectral_norm) {
    checks.push_back(check_spectral_norm(layer.rows, layer.cols, ++seed));
  }
  const int64_t C = spec.channels, H = spec.image_height, W = spec.image_width;
  checks.push_back(check_augment_draws(batch, H, W, ++seed));
  AugmentPolicy all;
  parse_augment_policy("color,translation,cutout", &all);
  for (const char* name : {"color", "translation", "cutout"}) {
    AugmentPolicy one;
    parse_augment_policy(name, &one);
    checks.push_back(check_diff_augment(one, batch, C, H, W, ++seed));
  }
  checks.push_back(check_diff_augment(all, batch, C, H, W, ++seed));
  return checks;
}

}  // namespace gan
