#pragma once
// defines: encode_png_gray, encode_png_rgb, write_png_gray, write_png_grid, image_grid, to_pixel
#include <cstdint>
#include <string>
#include <vector>

namespace gan {

// PNG bytes of an 8-bit grayscale image [height, width], row-major.
std::vector<uint8_t> encode_png_gray(const uint8_t* pixels, int width, int height);

// PNG bytes of an 8-bit RGB image [height, width, 3], row-major, channels interleaved.
std::vector<uint8_t> encode_png_rgb(const uint8_t* pixels, int width, int height);

// Writes the PNG atomically (temporary file, fsync, rename). Throws gan::Error naming the file.
void write_png_gray(const std::string& path, const uint8_t* pixels, int width, int height);

// A generator output in [-1, 1] as a byte: the inverse of (x/255 - 0.5)/0.5 for the default
// normalisation; generally round(255 * (y * std + mean)), clamped to 0..255.
uint8_t to_pixel(float value, float mean, float std);

struct Grid {
  int width = 0, height = 0, channels = 1;
  std::vector<uint8_t> pixels;  // [height, width, channels], channels interleaved
};

// Tiles `count` images [count, channels, h, w] (planar, as the models make them) of values in
// [-1, 1] (inverse-normalised by mean/std) into rows of `columns`, with `padding` pixels of
// gray between and around them; the grid's pixels interleave the channels (1 grey, 3 RGB).
Grid image_grid(const float* images, int64_t count, int h, int w, int columns, int padding, float mean, float std,
                int channels = 1);

// Writes a grid as a grey or RGB PNG, atomically. Throws gan::Error naming the file.
void write_png_grid(const std::string& path, const Grid& grid);

}  // namespace gan
