#pragma once
// defines: DecodedImage, decode_image, resize_and_crop — PNG and JPEG files as 8-bit pixels
// (libpng's simplified API, libjpeg-turbo), and the shorter-side resize + centre crop that
// torchvision's Resize(size) + CenterCrop(size) apply
#include <cstdint>
#include <string>
#include <vector>

namespace gan {

// An image [height, width, channels], row-major, channels interleaved, 8 bits each.
struct DecodedImage {
  int width = 0, height = 0, channels = 0;
  std::vector<uint8_t> pixels;
};

// Decodes PNG or JPEG bytes (told apart by their signatures, not by the file's name) into
// `channels` 1 (grey) or 3 (RGB): palettes, 16-bit samples and alpha are converted by the
// libraries (alpha composited onto black). Throws InputError naming `name` and the reason for
// an empty, truncated or corrupt file, another format, or one the libraries cannot convert.
DecodedImage decode_image(const std::vector<uint8_t>& bytes, int channels, const std::string& name);

// The shorter side scaled to `size` (the longer in proportion, rounded down as torchvision
// does), then the centre size x size (offsets rounded as torchvision's CenterCrop rounds them;
// the resampling filter is ours): an image already size x size is returned unchanged, bit
// for bit. Shrinking averages the source area each output pixel covers (a box filter, so thin
// strokes are not lost); enlarging interpolates bilinearly. Returns [size, size, channels].
std::vector<uint8_t> resize_and_crop(const DecodedImage& image, int size);

}  // namespace gan
