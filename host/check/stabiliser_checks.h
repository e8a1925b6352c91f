#pragma once
// defines: check_spectral_norm, stabiliser_checks — the stabilisers' kernels (--spectral-norm)
// against their CPU references, as kernel_checks.h's checks are (fresh random inputs, outputs
// poisoned first, a NaN never passes). Need a GPU.
#include <cstdint>
#include <vector>

#include "check/check_compare.h"
#include "model/model_spec.h"

namespace gan {

// Spectral norm on one weight W [rows, cols]: the power iteration (u, v) and sigma, sigma alone
// from the kept u and v, W / sigma, and the backward, each against cpu/spectral_norm.h in float.
KernelCheck check_spectral_norm(int64_t rows, int64_t cols, uint64_t seed);

// check_spectral_norm at the shape of every weight `discriminator` would put under spectral norm.
std::vector<KernelCheck> stabiliser_checks(const NetworkSpec& discriminator, uint64_t seed);

}  // namespace gan
