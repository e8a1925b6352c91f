#include "eval/augment.h"

namespace gan {

void augmented_image(const uint8_t* image, int channels, int height, int width, int quarter_turns, int dx, int dy,
                     float* out) {
  const int h = height, w = width, turns = ((quarter_turns % 4) + 4) % 4;
  for (int c = 0; c < channels; ++c) {
    const uint8_t* plane = image + static_cast<int64_t>(c) * h * w;
    float* to = out + static_cast<int64_t>(c) * h * w;
    for (int y = 0; y < h; ++y) {
      for (int x = 0; x < w; ++x) {
        // Undo the shift, then the turn: (ty, tx) is a pixel of the turned image, (sy, sx) the
        // pixel of the original it came from. numpy.rot90 (anticlockwise) maps
        // turned[i][j] = original[j][n-1-i]; twice, original[n-1-i][n-1-j]; three times,
        // original[n-1-j][i].
        const int ty = y - dy, tx = x - dx;
        uint8_t p = 0;
        if (ty >= 0 && ty < h && tx >= 0 && tx < w) {
          int sy = ty, sx = tx;
          if (turns == 1) sy = tx, sx = w - 1 - ty;
          if (turns == 2) sy = h - 1 - ty, sx = w - 1 - tx;
          if (turns == 3) sy = h - 1 - tx, sx = ty;
          p = plane[sy * w + sx];
        }
        to[y * w + x] = (static_cast<float>(p) / 255.0f - 0.5f) / 0.5f;
      }
    }
  }
}

}  // namespace gan
