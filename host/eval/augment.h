#pragma once
// defines: augmented_image — the evaluation network's training views of an image
#include <cstdint>

namespace gan {

// One view of `image` (channel planes [C, H, W] of bytes) as the feature network sees it:
// turned `quarter_turns` times by 90 degrees anticlockwise (as numpy.rot90; needs H == W unless
// 0), then shifted by (dx, dy) pixels (right and down), every channel alike, with black (byte
// 0) where nothing was, and normalised to (x/255 - 0.5)/0.5. out: [C, H, W].
void augmented_image(const uint8_t* image, int channels, int height, int width, int quarter_turns, int dx, int dy,
                     float* out);

}  // namespace gan
