#include "check/check_compare.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>

namespace gan {

KernelCheck start_check(std::string kernel, std::string shape, double bound, std::string unit) {
  KernelCheck check;
  check.kernel = std::move(kernel);
  check.shape = std::move(shape);
  check.bound = bound;
  check.unit = std::move(unit);
  return check;
}

namespace {

// Counts the elements one side lacks as non-finite: a kernel that wrote too little fails.
size_t common_size(KernelCheck& check, size_t got, size_t want) {
  if (got != want) check.nonfinite += static_cast<int64_t>(got > want ? got - want : want - got);
  return std::min(got, want);
}

}  // namespace

void compare_relative(KernelCheck& check, const std::vector<float>& got, const std::vector<double>& want) {
  const size_t n = common_size(check, got.size(), want.size());
  double scale = 0, worst = 0;
  for (size_t i = 0; i < n; ++i) scale = std::max(scale, std::fabs(want[i]));
  if (scale == 0) scale = 1;  // an all-zero reference: the absolute error is the relative one
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(got[i])) {
      ++check.nonfinite;
      continue;
    }
    worst = std::max(worst, std::fabs(static_cast<double>(got[i]) - want[i]));
  }
  check.max_abs = std::max(check.max_abs, worst);
  check.error = std::max(check.error, worst / scale);
}

int64_t ulp_distance(float a, float b) {
  // Map the float bit patterns onto a line where neighbours differ by 1 (negatives mirrored).
  auto ordered = [](float x) {
    int32_t bits;
    std::memcpy(&bits, &x, sizeof bits);
    return bits < 0 ? int64_t{INT32_MIN} - bits : int64_t{bits};
  };
  const int64_t d = ordered(a) - ordered(b);
  return d < 0 ? -d : d;
}

void compare_ulps(KernelCheck& check, const std::vector<float>& got, const std::vector<float>& want) {
  const size_t n = common_size(check, got.size(), want.size());
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(got[i])) {
      ++check.nonfinite;
      continue;
    }
    check.max_abs = std::max(check.max_abs, std::fabs(static_cast<double>(got[i]) - want[i]));
    check.error = std::max(check.error, static_cast<double>(ulp_distance(got[i], want[i])));
  }
}

KernelCheck finish_check(KernelCheck check) {
  check.pass = check.nonfinite == 0 && check.error <= check.bound;  // NaN <= bound is false
  return check;
}

}  // namespace gan
