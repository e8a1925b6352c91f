#pragma once
// defines: launch_augment_draws, launch_diff_augment, launch_diff_augment_backward — DiffAugment
// (--augment) on the GPU: the CPU's fill_augment_draws (model/augment.h), diff_augment and
// diff_augment_backward (cpu/augment.h)
//
// images [B, C, H, W] (the MLP's [B, H*W] is C = 1), draws [B, kAugmentDraws] (augment_draw.cuh),
// policy: kAugmentColor | kAugmentTranslation | kAugmentCutout. A block per image; the means in
// double, each blend rounded as the CPU rounds it (no fused multiply-add), so results differ from
// the CPU's only where the image mean's sum order moves a last bit.
#include <cuda_runtime.h>

#include <cstdint>

#include "augment_draw.cuh"

namespace gan {

// draws [B, kAugmentDraws] for `site` (AugmentSite) of the step whose noise key is read from
// device memory (a captured graph draws afresh on every replay): the CPU's floats exactly.
void launch_augment_draws(uint64_t seed, const uint64_t* device_step_key, uint32_t site, int64_t B, int64_t height,
                          int64_t width, float* draws, cudaStream_t stream);

// out = the policy's transforms of in; scratch [B, C*H*W] holds the colour stage (unused without
// color). in, scratch and out must not overlap.
void launch_diff_augment(uint32_t policy, const float* draws, int64_t B, int64_t C, int64_t H, int64_t W,
                         const float* in, float* scratch, float* out, cudaStream_t stream);

// grad_in = the gradient at diff_augment's input from grad_out, the gradient at its output (the
// transposed transforms, in reverse order). The two must not overlap.
void launch_diff_augment_backward(uint32_t policy, const float* draws, int64_t B, int64_t C, int64_t H, int64_t W,
                                  const float* grad_out, float* grad_in, cudaStream_t stream);

}  // namespace gan
