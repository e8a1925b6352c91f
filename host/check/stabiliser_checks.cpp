#include "check/stabiliser_checks.h"

#include <cmath>
#include <random>

#include "check/check_inputs.h"
#include "cpu/spectral_norm.h"
#include "cuda/resources.h"
#include "check/kernel_checks.h"
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
  d_sigma.poison();
  d_again.poison();
  d_normalised.poison();
  launch_spectral_norm_sigma(d_W.get(), rows, cols, d_u.get(), d_v.get(), true, d_sigma.get(), stream.get());
  launch_spectral_norm_sigma(d_W.get(), rows, cols, d_u.get(), d_v.get(), false, d_again.get(), stream.get());
  launch_spectral_norm_scale(d_W.get(), static_cast<int64_t>(n), d_sigma.get(), d_normalised.get(), stream.get());
  launch_spectral_norm_backward(d_W.get(), rows, cols, d_u.get(), d_v.get(), d_sigma.get(), d_grad.get(), stream.get());
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

std::vector<KernelCheck> stabiliser_checks(const NetworkSpec& discriminator, uint64_t seed) {
  NetworkSpec normalised = discriminator;
  if (normalised.spectral_norm.empty()) add_spectral_norm(&normalised);
  std::vector<KernelCheck> checks;
  for (const SpectralNormLayer& layer : normalised.spectral_norm) {
    checks.push_back(check_spectral_norm(layer.rows, layer.cols, ++seed));
  }
  return checks;
}

}  // namespace gan
