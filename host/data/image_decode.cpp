#include "data/image_decode.h"

// jpeglib.h needs size_t and FILE declared first.
#include <cstddef>
#include <cstdio>
#include <csetjmp>

#include <jpeglib.h>
#include <jerror.h>  // after jpeglib.h: the message codes, JWRN_JPEG_EOF among them
#include <png.h>

#include <algorithm>
#include <cmath>

#include "util/error.h"

namespace gan {

namespace {

bool is_png(const std::vector<uint8_t>& bytes) {
  static const uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  return bytes.size() >= 8 && std::equal(signature, signature + 8, bytes.begin());
}

bool is_jpeg(const std::vector<uint8_t>& bytes) {
  return bytes.size() >= 3 && bytes[0] == 0xff && bytes[1] == 0xd8 && bytes[2] == 0xff;
}

// A size both libraries can hold and a batch of them can fit in memory.
void check_size(int width, int height, const std::string& name) {
  if (width < 1 || height < 1 || width > 16384 || height > 16384) {
    throw InputError(name + ": an image of " + std::to_string(width) + " x " + std::to_string(height) +
                     " pixels; 1..16384 per side are supported");
  }
}

DecodedImage decode_png(const std::vector<uint8_t>& bytes, int channels, const std::string& name) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, bytes.data(), bytes.size())) {
    throw InputError(name + ": not a readable PNG (" + image.message + ")");
  }
  // Frees libpng's state however this function is left.
  struct Release {
    png_image* image;
    ~Release() { png_image_free(image); }
  } release{&image};
  check_size(static_cast<int>(image.width), static_cast<int>(image.height), name);
  image.format = channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  DecodedImage out;
  out.width = static_cast<int>(image.width);
  out.height = static_cast<int>(image.height);
  out.channels = channels;
  out.pixels.resize(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, out.pixels.data(), 0, nullptr)) {
    throw InputError(name + ": a damaged PNG (" + image.message + ")");
  }
  return out;
}

// libjpeg reports errors through a callback that must not return: it jumps back here.
struct JpegError {
  jpeg_error_mgr manager;
  std::jmp_buf back;
  char message[JMSG_LENGTH_MAX];
  // Data that ends early is only a warning to libjpeg: it fills in the rest of the image and
  // goes on. Noted here, with libjpeg's words, so that the file is refused as a truncated PNG is.
  bool truncated;
  char truncation[JMSG_LENGTH_MAX];
};

void jpeg_error_exit(j_common_ptr info) {
  JpegError* error = reinterpret_cast<JpegError*>(info->err);
  (*info->err->format_message)(info, error->message);
  std::longjmp(error->back, 1);
}

// libjpeg's warnings (level -1; higher levels are traces) are counted but not printed: a file
// that is refused is named in our own message. Of the warnings only the end of the data refuses
// a file; the others (e.g. stray bytes between markers, which some writers leave) are let
// through, as they were before.
void jpeg_note_message(j_common_ptr info, int level) {
  if (level >= 0) return;
  ++info->err->num_warnings;
  JpegError* error = reinterpret_cast<JpegError*>(info->err);
  if (info->err->msg_code == JWRN_JPEG_EOF && !error->truncated) {
    error->truncated = true;
    (*info->err->format_message)(info, error->truncation);
  }
}

// Decodes into `out` (declared by the caller, so that nothing with a destructor lives between
// setjmp and longjmp here); returns "" or libjpeg's message. *truncated is set (with the
// message) when the data ended before the image did.
std::string decode_jpeg_into(const std::vector<uint8_t>& bytes, int channels, DecodedImage* out, bool* truncated) {
  *truncated = false;
  jpeg_decompress_struct info{};
  JpegError error{};
  info.err = jpeg_std_error(&error.manager);
  error.manager.error_exit = jpeg_error_exit;
  error.manager.emit_message = jpeg_note_message;
  if (setjmp(error.back)) {
    jpeg_destroy_decompress(&info);
    return error.message;
  }
  jpeg_create_decompress(&info);
  jpeg_mem_src(&info, bytes.data(), static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&info, TRUE);
  info.out_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress(&info);
  if (static_cast<int>(info.output_components) != channels) {
    jpeg_destroy_decompress(&info);
    return "its colour space does not convert to " + std::to_string(channels) + " channel(s)";
  }
  out->width = static_cast<int>(info.output_width);
  out->height = static_cast<int>(info.output_height);
  out->channels = channels;
  if (out->width < 1 || out->height < 1 || out->width > 16384 || out->height > 16384) {
    jpeg_destroy_decompress(&info);
    return "an image of " + std::to_string(out->width) + " x " + std::to_string(out->height) +
           " pixels; 1..16384 per side are supported";
  }
  try {
    out->pixels.resize(static_cast<size_t>(out->width) * out->height * channels);
  } catch (...) {
    jpeg_destroy_decompress(&info);
    throw;
  }
  while (info.output_scanline < info.output_height) {
    JSAMPROW row = out->pixels.data() + static_cast<size_t>(info.output_scanline) * out->width * channels;
    jpeg_read_scanlines(&info, &row, 1);
  }
  jpeg_finish_decompress(&info);
  jpeg_destroy_decompress(&info);
  if (error.truncated) {
    *truncated = true;
    return error.truncation;
  }
  return "";
}

}  // namespace

DecodedImage decode_image(const std::vector<uint8_t>& bytes, int channels, const std::string& name) {
  if (channels != 1 && channels != 3) throw InternalError("decode_image: channels must be 1 or 3");
  if (bytes.empty()) throw InputError(name + ": an empty file (0 bytes)");
  if (is_png(bytes)) return decode_png(bytes, channels, name);
  if (is_jpeg(bytes)) {
    DecodedImage out;
    bool truncated = false;
    const std::string message = decode_jpeg_into(bytes, channels, &out, &truncated);
    if (truncated) throw InputError(name + ": a truncated JPEG (" + message + ")");
    if (!message.empty()) throw InputError(name + ": a JPEG that cannot be decoded (" + message + ")");
    return out;
  }
  throw InputError(name + ": neither a PNG nor a JPEG (by its first bytes)");
}

std::vector<uint8_t> resize_and_crop(const DecodedImage& image, int size) {
  const int w = image.width, h = image.height, c = image.channels;
  if (w == size && h == size) return image.pixels;
  // The scaled size: the shorter side becomes `size`, the longer int(size * long / short).
  const bool wide = w >= h;
  const int scaled_w = wide ? static_cast<int>(int64_t{size} * w / h) : size;
  const int scaled_h = wide ? size : static_cast<int>(int64_t{size} * h / w);
  // The crop's offsets as torchvision's CenterCrop rounds them: Python's round(d / 2), halves
  // to even.
  auto centre = [](int d) { return d / 2 + ((d % 2 == 1 && (d / 2) % 2 == 1) ? 1 : 0); };
  const int left = centre(scaled_w - size), top = centre(scaled_h - size);
  const double sx = static_cast<double>(w) / scaled_w, sy = static_cast<double>(h) / scaled_h;
  std::vector<uint8_t> out(static_cast<size_t>(size) * size * c);
  auto at = [&](int x, int y, int k) { return static_cast<double>(image.pixels[(static_cast<size_t>(y) * w + x) * c + k]); };
  for (int oy = 0; oy < size; ++oy) {
    for (int ox = 0; ox < size; ++ox) {
      // The source rectangle [x0, x1) x [y0, y1) of output pixel (left + ox, top + oy).
      const double x0 = (left + ox) * sx, x1 = x0 + sx, y0 = (top + oy) * sy, y1 = y0 + sy;
      for (int k = 0; k < c; ++k) {
        double value;
        if (sx >= 1.0 && sy >= 1.0) {  // shrinking: the area average
          double sum = 0, area = 0;
          for (int y = static_cast<int>(y0); y < std::min(h, static_cast<int>(std::ceil(y1))); ++y) {
            const double wy = std::min<double>(y + 1, y1) - std::max<double>(y, y0);
            for (int x = static_cast<int>(x0); x < std::min(w, static_cast<int>(std::ceil(x1))); ++x) {
              const double wx = std::min<double>(x + 1, x1) - std::max<double>(x, x0);
              sum += wx * wy * at(x, y, k);
              area += wx * wy;
            }
          }
          value = sum / area;
        } else {  // enlarging (in either direction): bilinear at the rectangle's centre
          const double cx = std::clamp((x0 + x1) / 2 - 0.5, 0.0, w - 1.0);
          const double cy = std::clamp((y0 + y1) / 2 - 0.5, 0.0, h - 1.0);
          const int xa = static_cast<int>(cx), ya = static_cast<int>(cy);
          const int xb = std::min(xa + 1, w - 1), yb = std::min(ya + 1, h - 1);
          const double fx = cx - xa, fy = cy - ya;
          value = (1 - fy) * ((1 - fx) * at(xa, ya, k) + fx * at(xb, ya, k)) +
                  fy * ((1 - fx) * at(xa, yb, k) + fx * at(xb, yb, k));
        }
        out[(static_cast<size_t>(oy) * size + ox) * c + k] = static_cast<uint8_t>(std::lround(std::clamp(value, 0.0, 255.0)));
      }
    }
  }
  return out;
}

}  // namespace gan
