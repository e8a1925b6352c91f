#pragma once
// defines: shape_text, uniform_values, widen, BatchNormInputs, batch_norm_inputs, kBatchNormEps
// — the inputs of the GPU checks (kernel_checks.cpp, cudnn_checks.cpp): fresh random values,
// their double copies for the references, and the shape as the check's table prints it
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace gan {

// "B=128 in=100 out=256"
inline std::string shape_text(const std::vector<std::pair<const char*, int64_t>>& dims) {
  std::string text;
  for (const auto& [name, value] : dims) {
    if (!text.empty()) text += ' ';
    text += std::string(name) + "=" + std::to_string(value);
  }
  return text;
}

inline std::vector<float> uniform_values(size_t n, float low, float high, std::mt19937_64& rng) {
  std::uniform_real_distribution<float> draw(low, high);
  std::vector<float> values(n);
  for (float& v : values) v = draw(rng);
  return values;
}

inline std::vector<double> widen(const std::vector<float>& values) { return {values.begin(), values.end()}; }

// BatchNorm's inputs over [B, C, HW]: x with an offset and a spread per channel, as a
// convolution's outputs have, and parameters and running statistics away from their defaults.
struct BatchNormInputs {
  std::vector<float> x, gamma, beta, running_mean, running_var;
};

inline BatchNormInputs batch_norm_inputs(int64_t B, int64_t C, int64_t HW, std::mt19937_64& rng) {
  BatchNormInputs in;
  in.x = uniform_values(static_cast<size_t>(B * C * HW), -1, 1, rng);
  const std::vector<float> offset = uniform_values(static_cast<size_t>(C), -2, 2, rng);
  const std::vector<float> spread = uniform_values(static_cast<size_t>(C), 0.5f, 3, rng);
  for (int64_t i = 0; i < B * C * HW; ++i) {
    const size_t c = static_cast<size_t>((i / HW) % C);
    in.x[static_cast<size_t>(i)] = in.x[static_cast<size_t>(i)] * spread[c] + offset[c];
  }
  in.gamma = uniform_values(static_cast<size_t>(C), 0.5f, 1.5f, rng);
  in.beta = uniform_values(static_cast<size_t>(C), -0.5f, 0.5f, rng);
  in.running_mean = uniform_values(static_cast<size_t>(C), -0.5f, 0.5f, rng);
  in.running_var = uniform_values(static_cast<size_t>(C), 0.5f, 2, rng);
  return in;
}

// BatchNorm's eps and momentum in the checks: PyTorch's defaults, the model's.
constexpr double kBatchNormEps = 1e-5, kBatchNormMomentum = 0.1;

}  // namespace gan
