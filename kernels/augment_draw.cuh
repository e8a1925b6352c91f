#pragma once
// defines: kAugmentDraws, kAugmentColor, kAugmentTranslation, kAugmentCutout, augment_max_shift,
// augment_cutout_size, augment_draw, AugmentImage, augment_image — DiffAugment's per-image draws
// (--augment) and what they mean, one piece of code for the CPU (model/augment.h's
// fill_augment_draws, cpu/augment.h) and the GPU (diff_augment.cu), so that both draw the same
// floats and read them alike. Plain C++ where nvcc does not compile it.
#include <cstdint>

#include "philox.cuh"

namespace gan {

// Draws per image, in this order: brightness, saturation and contrast factors, each U[0, 1)
// (torch.rand's role); the row and column shifts in -s..s, s = int(size / 8 + 0.5); the cutout
// square's centre row and column in 0 .. size - (c % 2), c = int(size / 2 + 0.5) (torch.randint's).
// Integers are stored exactly as floats. All seven are drawn whatever the policy.
constexpr int64_t kAugmentDraws = 7;

// The transforms as bits (the kernels' policy argument).
constexpr uint32_t kAugmentColor = 1, kAugmentTranslation = 2, kAugmentCutout = 4;

// The translation's largest shift and the cutout square's side for a size (rows or columns).
GAN_HOST_DEVICE int64_t augment_max_shift(int64_t size) { return static_cast<int64_t>(static_cast<double>(size) * 0.125 + 0.5); }
GAN_HOST_DEVICE int64_t augment_cutout_size(int64_t size) { return static_cast<int64_t>(static_cast<double>(size) * 0.5 + 0.5); }

// Draw k (0 .. kAugmentDraws - 1) of image i of the B images at `site` (AugmentSite) of the step
// whose noise key is `step_key`, for images of height x width. The Philox element: site, image,
// draw (B < 2^32 / 21 by far).
GAN_HOST_DEVICE float augment_draw(uint64_t seed, uint64_t step_key, uint32_t site, int64_t B, int64_t i, int64_t k,
                                   int64_t height, int64_t width) {
  const uint64_t element =
      (static_cast<uint64_t>(site) * static_cast<uint64_t>(B) + static_cast<uint64_t>(i)) * kAugmentDraws +
      static_cast<uint64_t>(k);
  const uint32_t bits = random_bits(seed, RandomPurpose::kAugment, step_key, element);
  if (k < 3) return random_uniform01(bits);
  if (k < 5) {
    const int64_t shift = augment_max_shift(k == 3 ? height : width);
    return static_cast<float>(random_class(bits, static_cast<uint32_t>(2 * shift + 1))) - static_cast<float>(shift);
  }
  const int64_t size = k == 5 ? height : width;
  return static_cast<float>(random_class(bits, static_cast<uint32_t>(size + 1 - augment_cutout_size(size) % 2)));
}

// One image's transforms as its draws give them: the colour factors as applied (b - 0.5, 2s,
// k + 0.5), the row and column shifts, and the cutout square's centre.
struct AugmentImage {
  double brightness, saturation, contrast;
  int64_t shift_rows, shift_cols, cut_row, cut_col;
};

GAN_HOST_DEVICE AugmentImage augment_image(const float* draws) {
  return {static_cast<double>(draws[0]) - 0.5, static_cast<double>(draws[1]) * 2.0, static_cast<double>(draws[2]) + 0.5,
          static_cast<int64_t>(draws[3]), static_cast<int64_t>(draws[4]), static_cast<int64_t>(draws[5]),
          static_cast<int64_t>(draws[6])};
}

}  // namespace gan
