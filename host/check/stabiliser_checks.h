#pragma once
// defines: check_spectral_norm, check_augment_draws, check_diff_augment, stabiliser_checks — the
// stabilisers' kernels (--spectral-norm, --augment) against their CPU references, as kernel_checks.h's checks are (fresh random inputs, outputs
// poisoned first, a NaN never passes). Need a GPU.
#include <cstdint>
#include <vector>

#include "check/check_compare.h"
#include "model/augment.h"
#include "model/model_spec.h"

namespace gan {

// Spectral norm on one weight W [rows, cols]: the power iteration (u, v) and sigma, sigma alone
// from the kept u and v, W / sigma, and the backward, each against cpu/spectral_norm.h in float.
KernelCheck check_spectral_norm(int64_t rows, int64_t cols, uint64_t seed);

// DiffAugment's draws for B images of H x W at each site of a step: the CPU's floats exactly.
KernelCheck check_augment_draws(int64_t B, int64_t H, int64_t W, uint64_t seed);

// DiffAugment's transforms and their backward on B fresh images of C x H x W, against
// cpu/augment.h in float.
KernelCheck check_diff_augment(const AugmentPolicy& policy, int64_t B, int64_t C, int64_t H, int64_t W, uint64_t seed);

// For `spec` at `batch`: check_spectral_norm at the shape of every weight of D spectral norm
// would take, and DiffAugment's draws and transforms (each alone and all three) on its images.
std::vector<KernelCheck> stabiliser_checks(const ModelSpec& spec, int64_t batch, uint64_t seed);

}  // namespace gan
