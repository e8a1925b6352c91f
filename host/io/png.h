#pragma once
// defines: encode_png_gray, write_png_gray, image_grid, to_pixel
#include <cstdint>
#include <string>
#include <vector>

namespace gan {

// PNG bytes of an 8-bit grayscale image [height, width], row-major.
std::vector<uint8_t> encode_png_gray(const uint8_t* pixels, int width, int height);

// Writes the PNG atomically (temporary file, fsync, rename). Throws gan::Error naming the file.
void write_png_gray(const std::string& path, const uint8_t* pixels, int width, int height);

// A generator output in [-1, 1] as a byte: the inverse of (x/255 - 0.5)/0.5 for the default
// normalisation; generally round(255 * (y * std + mean)), clamped to 0..255.
uint8_t to_pixel(float value, float mean, float std);

struct Grid {
  int width = 0, height = 0;
  std::vector<uint8_t> pixels;  // [height, width]
};

// Tiles `count` images [count, h*w] of values in [-1, 1] (inverse-normalised by mean/std) into
// rows of `columns`, with `padding` pixels of gray between and around them.
Grid image_grid(const float* images, int64_t count, int h, int w, int columns, int padding, float mean, float std);

}  // namespace gan
