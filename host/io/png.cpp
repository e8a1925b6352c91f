#include "io/png.h"

#include <png.h>

#include <algorithm>
#include <cmath>

#include "util/error.h"
#include "util/files.h"

namespace gan {

namespace {

void append_to_vector(png_structp png, png_bytep data, png_size_t length) {
  auto* out = static_cast<std::vector<uint8_t>*>(png_get_io_ptr(png));
  out->insert(out->end(), data, data + length);
}

void no_flush(png_structp) {}

[[noreturn]] void png_error_handler(png_structp, png_const_charp message) { throw IoError(std::string("libpng: ") + message); }

}  // namespace

namespace {

// PNG bytes of an 8-bit image of 1 (grey) or 3 (RGB) interleaved channels.
std::vector<uint8_t> encode_png(const uint8_t* pixels, int width, int height, int channels) {
  std::vector<uint8_t> out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, png_error_handler, nullptr);
  if (!png) throw IoError("libpng: cannot create a write struct");
  png_infop info = png_create_info_struct(png);
  if (!info) {
    png_destroy_write_struct(&png, nullptr);
    throw IoError("libpng: cannot create an info struct");
  }
  try {
    png_set_write_fn(png, &out, append_to_vector, no_flush);
    png_set_IHDR(png, info, static_cast<png_uint_32>(width), static_cast<png_uint_32>(height), 8,
                 channels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    const size_t row_bytes = static_cast<size_t>(width) * channels;
    for (int r = 0; r < height; ++r) png_write_row(png, const_cast<png_bytep>(pixels + r * row_bytes));
    png_write_end(png, nullptr);
  } catch (...) {
    png_destroy_write_struct(&png, &info);
    throw;
  }
  png_destroy_write_struct(&png, &info);
  return out;
}

}  // namespace

std::vector<uint8_t> encode_png_gray(const uint8_t* pixels, int width, int height) {
  return encode_png(pixels, width, height, 1);
}

std::vector<uint8_t> encode_png_rgb(const uint8_t* pixels, int width, int height) {
  return encode_png(pixels, width, height, 3);
}

void write_png_grid(const std::string& path, const Grid& grid) {
  const std::vector<uint8_t> bytes = encode_png(grid.pixels.data(), grid.width, grid.height, grid.channels);
  write_file_atomically(path, bytes.data(), bytes.size());
}

void write_png_gray(const std::string& path, const uint8_t* pixels, int width, int height) {
  const std::vector<uint8_t> bytes = encode_png_gray(pixels, width, height);
  write_file_atomically(path, bytes.data(), bytes.size());
}

uint8_t to_pixel(float value, float mean, float std) {
  const float unit = value * std + mean;
  if (!(unit == unit)) return 0;  // NaN shows as black rather than failing the grid
  const float scaled = std::round(unit * 255.0f);
  return static_cast<uint8_t>(std::clamp(scaled, 0.0f, 255.0f));
}

Grid image_grid(const float* images, int64_t count, int h, int w, int columns, int padding, float mean, float std,
                int channels) {
  const int cols = static_cast<int>(std::min<int64_t>(columns, std::max<int64_t>(count, 1)));
  const int rows = static_cast<int>((count + cols - 1) / cols);
  Grid grid;
  grid.width = cols * (w + padding) + padding;
  grid.height = std::max(rows, 1) * (h + padding) + padding;
  grid.channels = channels;
  grid.pixels.assign(static_cast<size_t>(grid.width) * grid.height * channels, 64);
  const int64_t plane = int64_t{h} * w;
  for (int64_t i = 0; i < count; ++i) {
    const int top = padding + static_cast<int>(i / cols) * (h + padding);
    const int left = padding + static_cast<int>(i % cols) * (w + padding);
    const float* image = images + i * channels * plane;
    for (int c = 0; c < channels; ++c) {
      for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w; ++x) {
          grid.pixels[(static_cast<size_t>(top + y) * grid.width + left + x) * channels + c] =
              to_pixel(image[c * plane + y * w + x], mean, std);
        }
      }
    }
  }
  return grid;
}

}  // namespace gan
