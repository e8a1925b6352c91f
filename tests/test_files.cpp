// safetensors and PNG writing/reading, and atomic file writes.
#include <gtest/gtest.h>
#include <png.h>

#include <cstdio>
#include <filesystem>

#include "io/png.h"
#include "io/safetensors.h"
#include "test_util.h"
#include "util/error.h"
#include "util/files.h"

namespace gan {
namespace {

using testing::ScratchDir;

TEST(Safetensors, RoundTripWithMetadata) {
  ScratchDir dir;
  const std::vector<float> a = {1.5f, -2.0f, 3.25f, 0.0f, 7.0f, 8.0f}, b = {42.0f};
  write_safetensors(dir.path("t.safetensors"), {{"x.weight", {2, 3}, a.data()}, {"x.bias", {1}, b.data()}},
                    {{"step", "12"}});
  const SafetensorsFile f = read_safetensors(dir.path("t.safetensors"));
  EXPECT_EQ(f.get("x.weight", {2, 3}).data, a);
  EXPECT_EQ(f.get("x.bias", {1}).data, b);
  EXPECT_EQ(f.metadata.at("step"), "12");
  EXPECT_THROW(f.get("x.weight", {3, 2}), Error);
  EXPECT_THROW(f.get("y", {1}), Error);
}

std::string parse_error(const std::vector<uint8_t>& bytes) {
  try {
    parse_safetensors(bytes, "bad.safetensors");
  } catch (const Error& e) {
    return e.what();
  }
  return "accepted";
}

std::vector<uint8_t> with_header(const std::string& json, size_t data_bytes) {
  std::vector<uint8_t> out(8 + json.size() + data_bytes, 0);
  const uint64_t n = json.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(n >> (8 * i));
  std::copy(json.begin(), json.end(), out.begin() + 8);
  return out;
}

TEST(Safetensors, RejectsCorruptHeaders) {
  EXPECT_NE(parse_error({1, 2, 3}).find("truncated"), std::string::npos);
  auto huge = with_header("{}", 0);
  huge[5] = 1;  // header length ~2^40
  EXPECT_NE(parse_error(huge).find("absurd"), std::string::npos);
  auto longer = with_header("{}", 0);
  longer[0] = 200;
  EXPECT_NE(parse_error(longer).find("exceeds the file"), std::string::npos);
  EXPECT_NE(parse_error(with_header("{nope", 0)).find("not valid JSON"), std::string::npos);
  EXPECT_NE(parse_error(with_header(R"({"a": {"dtype": "F16", "shape": [1], "data_offsets": [0, 2]}})", 2)).find("dtype F16"),
            std::string::npos);
  EXPECT_NE(parse_error(with_header(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}})", 4)).find("needs 8"),
            std::string::npos);
  EXPECT_NE(parse_error(with_header(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})", 4)).find("outside"),
            std::string::npos);
  EXPECT_NE(parse_error(with_header(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},)"
                                    R"( "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})",
                                    8))
                .find("overlap"),
            std::string::npos);
  EXPECT_NE(parse_error(with_header(R"({"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}})", 4)).find("shape"),
            std::string::npos);
  EXPECT_NE(parse_error(with_header(R"({"__metadata__": {"k": 1}})", 0)).find("not a string"), std::string::npos);
  // Found by tools/fuzz.sh: a number too large for any integer type made the JSON parser throw
  // something other than a parse error, which escaped as a crash.
  EXPECT_NE(parse_error(with_header(R"({"a": {"dtype": "F32", "shape": [6666E15833333], )"
                                    R"("data_offsets": [0, 4]}})",
                                    4))
                .find("not valid JSON"),
            std::string::npos);
}

// Decodes a grayscale PNG with libpng's simplified API.
std::vector<uint8_t> decode_png(const std::vector<uint8_t>& bytes, int* width, int* height) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  EXPECT_NE(png_image_begin_read_from_memory(&image, bytes.data(), bytes.size()), 0);
  image.format = PNG_FORMAT_GRAY;
  std::vector<uint8_t> pixels(PNG_IMAGE_SIZE(image));
  EXPECT_NE(png_image_finish_read(&image, nullptr, pixels.data(), 0, nullptr), 0);
  *width = static_cast<int>(image.width);
  *height = static_cast<int>(image.height);
  return pixels;
}

TEST(Png, EncodesWhatDecodesBack) {
  std::vector<uint8_t> pixels(13 * 7);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(i * 37);
  int w = 0, h = 0;
  EXPECT_EQ(decode_png(encode_png_gray(pixels.data(), 13, 7), &w, &h), pixels);
  EXPECT_EQ(w, 13);
  EXPECT_EQ(h, 7);
}

TEST(Png, GridPlacesImagesAndInvertsTheNormalisation) {
  const int h = 3, w = 2;
  std::vector<float> images(10 * h * w, 0.0f);
  for (int p = 0; p < h * w; ++p) images[9 * h * w + p] = 1.0f;   // the last image white
  images[0] = -1.0f;                                               // first pixel of the first black
  const Grid grid = image_grid(images.data(), 10, h, w, 4, 1, 0.5f, 0.5f);
  EXPECT_EQ(grid.width, 4 * (w + 1) + 1);
  EXPECT_EQ(grid.height, 3 * (h + 1) + 1);
  EXPECT_EQ(grid.pixels[1 * grid.width + 1], 0);        // image 0, pixel 0
  EXPECT_EQ(grid.pixels[1 * grid.width + 2], 128);      // 0.0 -> round(127.5) = 128
  const int top = 1 + 2 * (h + 1), left = 1 + 1 * (w + 1);  // image 9: row 2, column 1
  EXPECT_EQ(grid.pixels[top * grid.width + left], 255);
  EXPECT_EQ(to_pixel(NAN, 0.5f, 0.5f), 0);
  EXPECT_EQ(to_pixel(3.0f, 0.5f, 0.5f), 255);
}

TEST(Files, AtomicWriteReplacesWholeFilesAndReportsFailures) {
  ScratchDir dir;
  write_file_atomically(dir.path("a.txt"), std::string("first"));
  write_file_atomically(dir.path("a.txt"), std::string("second"));
  const auto bytes = read_whole_file(dir.path("a.txt"));
  EXPECT_EQ(std::string(bytes.begin(), bytes.end()), "second");
  EXPECT_FALSE(std::filesystem::exists(dir.path("a.txt.tmp")));
  EXPECT_THROW(write_file_atomically(dir.path("no/such/folder/a.txt"), std::string("x")), Error);
  EXPECT_THROW(read_whole_file(dir.path("missing")), Error);
  write_file_atomically(dir.path("plain"), std::string("x"));
  EXPECT_THROW(ensure_directory(dir.path("plain")), Error);
}

}  // namespace
}  // namespace gan
