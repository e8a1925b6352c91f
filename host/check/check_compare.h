#pragma once
// defines: KernelCheck, start_check, compare_relative, compare_ulps, finish_check, ulp_distance
//
// How a kernel's output is judged against its reference, in plain C++ (tested without a GPU):
// "rel" is max |got - want| / max |want|, a norm-wise relative error (elementwise relative
// error means nothing where a sum cancels to near zero); "ulp" is the largest distance in
// units in the last place, for kernels that must reproduce the CPU's floats; a NaN or an
// infinity in the output where the reference is finite is counted and fails the check.
#include <cstdint>
#include <string>
#include <vector>

namespace gan {

struct KernelCheck {
  std::string kernel;     // "linear fused fp32 (LeakyReLU)"
  std::string shape;      // "B=128 in=100 out=256"
  double max_abs = 0;     // largest |got - want| over the finite outputs
  double error = 0;       // the compared quantity, in `unit`
  double bound = 0;       // passes when error <= bound
  std::string unit;       // "rel", "ulp" or "mismatches"
  int64_t nonfinite = 0;  // outputs that are NaN or infinite
  bool pass = false;
};

KernelCheck start_check(std::string kernel, std::string shape, double bound, std::string unit);

// Fold one output of the kernel into the check (a check may have several outputs; the worst
// counts). Sizes must match (a mismatch counts every missing element as non-finite).
void compare_relative(KernelCheck& check, const std::vector<float>& got, const std::vector<double>& want);
void compare_ulps(KernelCheck& check, const std::vector<float>& got, const std::vector<float>& want);

// Sets pass: no non-finite output and error <= bound (false for a NaN error).
KernelCheck finish_check(KernelCheck check);

// Distance in units in the last place between two finite floats (0 when bit-identical, 1
// between +0 and the smallest denormal, 2 between it and its negative).
int64_t ulp_distance(float a, float b);

}  // namespace gan
