#pragma once
// defines: AugmentPolicy, parse_augment_policy, augment_policy_name, augment_policy_bits, AugmentSite,
// fill_augment_draws — DiffAugment (--augment) as data: which transforms, and each step's draws
//
// DiffAugment (Zhao et al., 2020) as the authors' DiffAugment_pytorch.py computes it: every image
// D sees (real and fake, in the D step and the G step) goes through the same random, differentiable
// transforms, drawn afresh for each image: color (brightness + U[-0.5, 0.5), saturation x U[0, 2)
// around the pixel's channel mean, contrast x U[0.5, 1.5) around the image's mean), translation
// (by up to 1/8 of the size, integer, zero fill) and cutout (a zeroed square half the size). The
// arithmetic is cpu/augment.h. The draws come from Philox indexed by the step, so that a resume
// is bitwise the uninterrupted run and a parity trace can hand them to PyTorch.
#include <cstdint>
#include <string>

#include "augment_draw.cuh"

namespace gan {

// The transforms, applied in the order color, translation, cutout; a list must name them in
// that order (the original applies its list in the order written).
struct AugmentPolicy {
  bool color = false, translation = false, cutout = false;
  bool any() const { return color || translation || cutout; }
  bool operator==(const AugmentPolicy& o) const {
    return color == o.color && translation == o.translation && cutout == o.cutout;
  }
};

// "" or "none": none; else a comma-separated list of color, translation, cutout, each at most
// once and in that order. Returns "" and fills *policy, or says what is wrong.
std::string parse_augment_policy(const std::string& text, AugmentPolicy* policy);

// The canonical spelling: "none", or e.g. "color,translation,cutout".
std::string augment_policy_name(const AugmentPolicy& policy);

// Where in the step an augmented batch enters D; each has its own draws.
enum class AugmentSite : uint32_t { kReal = 0, kFakeD = 1, kFakeG = 2 };

// draws [B, kAugmentDraws] (each image's seven draws: augment_draw.cuh) for images of height x width at `site` of the step whose noise key is
// `step_key` (StepPosition::noise_key: the noises' key, so rollback redraws them as it does z).
void fill_augment_draws(uint64_t seed, uint64_t step_key, AugmentSite site, int64_t B, int64_t height,
                        int64_t width, float* draws);

// The policy as the GPU kernels take it: kAugmentColor | kAugmentTranslation | kAugmentCutout.
inline uint32_t augment_policy_bits(const AugmentPolicy& policy) {
  return (policy.color ? kAugmentColor : 0) | (policy.translation ? kAugmentTranslation : 0) |
         (policy.cutout ? kAugmentCutout : 0);
}

}  // namespace gan
