#pragma once
// defines: shape_text, uniform_values, widen — the inputs of the GPU checks (kernel_checks.cpp,
// cudnn_checks.cpp): fresh random values, their double copies for the references, and the
// shape as the check's table prints it
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

}  // namespace gan
