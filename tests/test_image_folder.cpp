// Image folders as data (--data DIR of PNG/JPEG files): decoding and its errors, the resize and
// crop, ImageFolder's order and labels, bad files skipped, the cache (used, and keyed by the
// files), and a run from a folder bit for bit the run from the same images as IDX.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <jpeglib.h>

#include "data/dataset.h"
#include "data/idx.h"
#include "data/image_decode.h"
#include "data/image_folder.h"
#include "eval/classifier.h"
#include "io/png.h"
#include "io/safetensors.h"
#include "test_util.h"
#include "train/checkpoint.h"
#include "util/error.h"
#include "util/files.h"

namespace gan {
namespace {

namespace fs = std::filesystem;
using testing::ScratchDir;

// A JPEG of a grey image at quality 100 (libjpeg's compressor), for the decoder's tests.
std::vector<uint8_t> encode_jpeg_gray(const std::vector<uint8_t>& pixels, int width, int height) {
  jpeg_compress_struct info{};
  jpeg_error_mgr error{};
  info.err = jpeg_std_error(&error);
  jpeg_create_compress(&info);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&info, &buffer, &size);
  info.image_width = width;
  info.image_height = height;
  info.input_components = 1;
  info.in_color_space = JCS_GRAYSCALE;
  jpeg_set_defaults(&info);
  jpeg_set_quality(&info, 100, TRUE);
  jpeg_start_compress(&info, TRUE);
  while (info.next_scanline < info.image_height) {
    JSAMPROW row = const_cast<uint8_t*>(pixels.data()) + info.next_scanline * width;
    jpeg_write_scanlines(&info, &row, 1);
  }
  jpeg_finish_compress(&info);
  std::vector<uint8_t> bytes(buffer, buffer + size);
  jpeg_destroy_compress(&info);
  std::free(buffer);
  return bytes;
}

std::vector<uint8_t> pattern(int width, int height, int seed) {
  std::vector<uint8_t> p(static_cast<size_t>(width) * height);
  for (size_t i = 0; i < p.size(); ++i) p[i] = static_cast<uint8_t>((i * 37 + seed * 11) % 256);
  return p;
}

void write_png(const std::string& path, const std::vector<uint8_t>& pixels, int width, int height) {
  fs::create_directories(fs::path(path).parent_path());
  testing::write_bytes(path, encode_png_gray(pixels.data(), width, height));
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ImageDecode, PngAndJpegDecodeToTheirPixels) {
  const std::vector<uint8_t> pixels = pattern(13, 7, 1);
  const DecodedImage png = decode_image(encode_png_gray(pixels.data(), 13, 7), 1, "a.png");
  EXPECT_EQ(png.width, 13);
  EXPECT_EQ(png.height, 7);
  EXPECT_EQ(png.pixels, pixels);
  const DecodedImage rgb = decode_image(encode_png_gray(pixels.data(), 13, 7), 3, "a.png");
  ASSERT_EQ(rgb.pixels.size(), pixels.size() * 3);
  EXPECT_EQ(rgb.pixels[3 * 5 + 0], pixels[5]);  // grey becomes equal R, G and B
  EXPECT_EQ(rgb.pixels[3 * 5 + 2], pixels[5]);
  // A smooth image through JPEG at quality 100: within a few levels of the original.
  std::vector<uint8_t> smooth(32 * 24);
  for (int y = 0; y < 24; ++y)
    for (int x = 0; x < 32; ++x) smooth[y * 32 + x] = static_cast<uint8_t>(4 * x + 3 * y);
  const DecodedImage jpeg = decode_image(encode_jpeg_gray(smooth, 32, 24), 1, "b.jpg");
  ASSERT_EQ(jpeg.pixels.size(), smooth.size());
  int worst = 0;
  for (size_t i = 0; i < smooth.size(); ++i) worst = std::max(worst, std::abs(int(jpeg.pixels[i]) - int(smooth[i])));
  EXPECT_LE(worst, 3);
}

TEST(ImageDecode, BadFilesAreClearErrorsNamingTheFile) {
  const std::vector<uint8_t> pixels = pattern(20, 20, 2);
  const std::vector<uint8_t> png = encode_png_gray(pixels.data(), 20, 20);
  const std::vector<uint8_t> jpeg = encode_jpeg_gray(pixels, 20, 20);
  EXPECT_NE(error_of([&] { decode_image({}, 1, "empty.png"); }).find("empty.png: an empty file"), std::string::npos);
  const std::vector<uint8_t> text = {'h', 'e', 'l', 'l', 'o'};
  EXPECT_NE(error_of([&] { decode_image(text, 1, "text.png"); }).find("text.png: neither a PNG nor a JPEG"),
            std::string::npos);
  const std::vector<uint8_t> short_png(png.begin(), png.begin() + static_cast<std::ptrdiff_t>(png.size() / 2));
  EXPECT_NE(error_of([&] { decode_image(short_png, 1, "cut.png"); }).find("cut.png"), std::string::npos);
  const std::vector<uint8_t> short_jpeg(jpeg.begin(), jpeg.begin() + 40);
  EXPECT_NE(error_of([&] { decode_image(short_jpeg, 1, "cut.jpg"); }).find("cut.jpg: a JPEG that cannot be decoded"),
            std::string::npos);
}

// libjpeg decodes a JPEG cut short as a warning, not an error (the missing rows grey): such a
// file is skipped and named, as a truncated PNG is, not trained on silently.
TEST(ImageDecode, ATruncatedJpegIsSkippedByName) {
  const std::vector<uint8_t> whole = encode_jpeg_gray(pattern(64, 64, 5), 64, 64);
  const std::vector<uint8_t> half(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(whole.size() / 2));
  ASSERT_NO_THROW(decode_image(whole, 1, "whole.jpg"));
  const std::string error = error_of([&] { decode_image(half, 1, "half.jpg"); });
  EXPECT_NE(error.find("half.jpg: a truncated JPEG"), std::string::npos) << error;
  ScratchDir dir;
  testing::write_bytes(dir.path("whole.jpg"), whole);
  testing::write_bytes(dir.path("half.jpg"), half);
  ImageOptions options;
  options.image_size = 16;
  options.progress = false;
  ::testing::internal::CaptureStderr();
  const Dataset loaded = load_image_folder(dir.path(), options);
  const std::string said = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(loaded.count, 1);
  EXPECT_NE(said.find("gan: skipped " + dir.path("half.jpg") + ": a truncated JPEG"), std::string::npos) << said;
}

TEST(ImageDecode, ResizeKeepsTheSizeItHasAndAveragesWhenShrinking) {
  DecodedImage image{28, 28, 1, pattern(28, 28, 3)};
  EXPECT_EQ(resize_and_crop(image, 28), image.pixels);  // unchanged, bit for bit
  // 8 x 4 to size 2: the shorter side 4 -> 2, the longer 8 -> 4, then the centre 2 x 2. The
  // left half is 0, the right 200, the bottom half 40 more.
  DecodedImage wide{8, 4, 1, std::vector<uint8_t>(32)};
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 8; ++x) wide.pixels[y * 8 + x] = static_cast<uint8_t>(x < 4 ? 0 : 200) + (y < 2 ? 0 : 40);
  const std::vector<uint8_t> small = resize_and_crop(wide, 2);
  // Output columns cover source columns 2-3 and 4-5; rows 0-1 and 2-3.
  EXPECT_EQ(small, (std::vector<uint8_t>{0, 200, 40, 240}));
  // The crop's offset rounds as torchvision's does (Python's round, halves to even): 7 columns
  // to 4 leave 3 over, round(1.5) = 2, so columns 2..5 are kept.
  DecodedImage seven{7, 4, 1, std::vector<uint8_t>(28)};
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 7; ++x) seven.pixels[y * 7 + x] = static_cast<uint8_t>(10 * x);
  const std::vector<uint8_t> cropped = resize_and_crop(seven, 4);
  EXPECT_EQ(std::vector<uint8_t>(cropped.begin(), cropped.begin() + 4), (std::vector<uint8_t>{20, 30, 40, 50}));
  // Enlarging a constant image keeps the constant.
  DecodedImage flat{3, 5, 1, std::vector<uint8_t>(15, 77)};
  const std::vector<uint8_t> big = resize_and_crop(flat, 9);
  ASSERT_EQ(big.size(), 81u);
  for (uint8_t v : big) EXPECT_EQ(v, 77);
}

TEST(ImageFolder, ScansInImageFoldersOrderWithSubfoldersAsClasses) {
  ScratchDir dir;
  const auto p = pattern(4, 4, 0);
  for (const std::string name : {"zebra/b.png", "zebra/a.PNG", "ant/deep/er/x.jpg", "ant/y.png", "ant/a/z.png",
                                 "loose.png", ".hidden/q.png", "ant/.secret.png", "ant/notes.txt"}) {
    write_png(dir.path(name), p, 4, 4);
  }
  const ImageFolderScan scan = scan_image_folder(dir.path());
  EXPECT_EQ(scan.classes, (std::vector<std::string>{"ant", "zebra"}));
  std::vector<std::string> relative;
  for (const std::string& f : scan.files) relative.push_back(fs::path(f).lexically_relative(dir.path()).string());
  // Sorted by (folder, name): ant's own files first, then its subfolders'.
  EXPECT_EQ(relative, (std::vector<std::string>{"ant/y.png", "ant/a/z.png", "ant/deep/er/x.jpg", "zebra/a.PNG",
                                                "zebra/b.png"}));
  EXPECT_EQ(scan.labels, (std::vector<uint8_t>{0, 0, 0, 1, 1}));
  EXPECT_EQ(scan.loose, 1);
  // Without subfolders: the files, sorted, no labels.
  ScratchDir flat;
  write_png(flat.path("2.png"), p, 4, 4);
  write_png(flat.path("10.png"), p, 4, 4);
  const ImageFolderScan plain = scan_image_folder(flat.path());
  EXPECT_TRUE(plain.labels.empty());
  ASSERT_EQ(plain.files.size(), 2u);
  EXPECT_EQ(fs::path(plain.files[0]).filename(), "10.png");  // by name, as sorted() would
}

// Links to folders are followed (as torchvision's os.walk(followlinks=True) does), but each
// real folder is read once: a link back to its own folder, to the class folder above it, to the
// image folder, or to a folder read already by another path is named and not followed. Without
// this a loop was read 41 times (until the kernel's 40-link limit).
TEST(ImageFolder, EachRealFolderIsReadOnceWhateverLinksLeadToIt) {
  ScratchDir dir;
  const auto p = pattern(4, 4, 0);
  for (const std::string name : {"data/a/1.png", "data/a/2.png", "data/b/x.png", "data/b/deep/y.png",
                                 "outside/shared/s.png", "outside/cls/d.png"}) {
    write_png(dir.path(name), p, 4, 4);
  }
  fs::create_directory_symlink(".", dir.path("data/a/again"));        // its own folder
  fs::create_directory_symlink("..", dir.path("data/b/deep/up"));     // the class folder above
  fs::create_directory_symlink("../..", dir.path("data/b/deep/top"));  // the image folder
  fs::create_directories(dir.path("data/c"));
  // Two links to one real folder outside: read once, by the link first in name order.
  fs::create_directory_symlink(dir.path("outside/shared"), dir.path("data/c/one"));
  fs::create_directory_symlink(dir.path("outside/shared"), dir.path("data/c/two"));
  // A class that is a link to a folder outside, no loop: a class, as before.
  fs::create_directory_symlink(dir.path("outside/cls"), dir.path("data/d"));
  const ImageFolderScan scan = scan_image_folder(dir.path("data"));
  EXPECT_EQ(scan.classes, (std::vector<std::string>{"a", "b", "c", "d"}));
  std::vector<std::string> relative;
  for (const std::string& f : scan.files) relative.push_back(fs::path(f).lexically_relative(dir.path("data")).string());
  EXPECT_EQ(relative, (std::vector<std::string>{"a/1.png", "a/2.png", "b/x.png", "b/deep/y.png", "c/one/s.png",
                                                "d/d.png"}));
  EXPECT_EQ(scan.labels, (std::vector<uint8_t>{0, 0, 1, 1, 2, 3}));
  // Each link not followed is named, with the folder it leads to.
  ASSERT_EQ(scan.unfollowed.size(), 4u);
  const std::vector<std::string> links = {"a/again", "b/deep/top", "b/deep/up", "c/two"};
  for (size_t i = 0; i < links.size(); ++i) {
    EXPECT_EQ(scan.unfollowed[i].rfind(dir.path("data/" + links[i]) + ": a link ", 0), 0u) << scan.unfollowed[i];
  }
  EXPECT_NE(scan.unfollowed[0].find("read as " + dir.path("data/a") + ";"), std::string::npos) << scan.unfollowed[0];
  EXPECT_NE(scan.unfollowed[1].find("(a loop)"), std::string::npos) << scan.unfollowed[1];
  EXPECT_NE(scan.unfollowed[3].find("read as " + dir.path("data/c/one") + ";"), std::string::npos)
      << scan.unfollowed[3];

  // A flat folder with a link to itself: the link is not a class, so the folder stays unlabelled
  // and its images are read once; loading it says which link was not followed.
  ScratchDir flat;
  for (int i = 0; i < 3; ++i) write_png(flat.path(std::to_string(i) + ".png"), p, 4, 4);
  fs::create_directory_symlink(".", flat.path("self"));
  const ImageFolderScan plain = scan_image_folder(flat.path());
  EXPECT_TRUE(plain.classes.empty());
  EXPECT_TRUE(plain.labels.empty());
  EXPECT_EQ(plain.files.size(), 3u);
  EXPECT_TRUE(holds_images(flat.path()));
  ImageOptions options;
  options.image_size = 4;
  options.progress = false;
  ::testing::internal::CaptureStderr();
  const Dataset loaded = load_image_folder(flat.path(), options);
  const std::string said = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(loaded.count, 3);
  EXPECT_NE(said.find("gan: " + flat.path("self") + ": a link back to "), std::string::npos) << said;
}

TEST(ImageFolder, SkipsBadFilesCachesAndReadsTheCache) {
  ScratchDir dir;
  for (int i = 0; i < 5; ++i) write_png(dir.path("a/" + std::to_string(i) + ".png"), pattern(30, 40, i), 30, 40);
  write_png(dir.path("b/good.png"), pattern(30, 40, 9), 30, 40);
  testing::write_bytes(dir.path("b/empty.png"), {});
  testing::write_bytes(dir.path("b/text.jpg"), {'n', 'o'});
  const std::vector<uint8_t> whole = encode_png_gray(pattern(30, 40, 8).data(), 30, 40);
  testing::write_bytes(dir.path("b/cut.png"), std::vector<uint8_t>(whole.begin(), whole.begin() + 60));
  ImageOptions options;
  options.image_size = 16;
  options.progress = false;
  const Dataset first = load_image_folder(dir.path(), options);
  EXPECT_EQ(first.count, 6);  // 3 of 9 files skipped
  EXPECT_EQ(first.height, 16);
  EXPECT_EQ(first.labels, (std::vector<uint8_t>{0, 0, 0, 0, 0, 1}));
  EXPECT_EQ(first.classes, (std::vector<std::string>{"a", "b"}));
  int caches = 0;
  for (const auto& entry : fs::directory_iterator(dir.path()))
    caches += entry.path().filename().string().rfind(".gan-cache-", 0) == 0 ? 1 : 0;
  EXPECT_EQ(caches, 1);
  // The cache is what a second load reads: an image damaged in place (a byte of its compressed
  // data changed, so that decoding it fails), its size and time restored, still reads as cached.
  const fs::path changed = dir.path("a/0.png");
  const auto time = fs::last_write_time(changed);
  std::vector<uint8_t> damaged = read_whole_file(changed.string());
  damaged[damaged.size() / 2] ^= 0xff;
  testing::write_bytes(changed.string(), damaged);
  fs::last_write_time(changed, time);
  ASSERT_THROW(decode_image(damaged, 1, "damaged.png"), Error);
  const Dataset cached = load_image_folder(dir.path(), options);
  EXPECT_EQ(cached.count, 6);
  EXPECT_EQ(cached.pixels, first.pixels);
  EXPECT_EQ(cached.labels, first.labels);
  EXPECT_EQ(cached.classes, first.classes);
  // Another size is another key: decoded afresh, and the damaged file is skipped now.
  options.image_size = 20;
  const Dataset resized = load_image_folder(dir.path(), options);
  EXPECT_EQ(resized.height, 20);
  EXPECT_EQ(resized.count, 5);
  // A damaged cache is decoded again, not trusted.
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    if (entry.path().filename().string().rfind(".gan-cache-", 0) == 0) testing::write_bytes(entry.path().string(), {1, 2});
  }
  options.image_size = 16;
  const Dataset again = load_image_folder(dir.path(), options);
  EXPECT_EQ(again.count, 5);
  EXPECT_EQ(again.classes, first.classes);  // the scan's classes, though the cache was not read
  // A new subfolder without images is a class too, and moves the labels: another key.
  fs::create_directories(dir.path("0empty"));
  const Dataset shifted = load_image_folder(dir.path(), options);
  EXPECT_EQ(shifted.classes, (std::vector<std::string>{"0empty", "a", "b"}));
  EXPECT_EQ(shifted.labels.front(), 1);
}

TEST(ImageFolder, FoldersWithoutUsableImagesAreClearErrors) {
  ScratchDir dir;
  fs::create_directories(dir.path("c"));
  testing::write_bytes(dir.path("c/broken.png"), {'x'});
  ImageOptions options;
  options.progress = false;
  EXPECT_NE(error_of([&] { load_image_folder(dir.path(), options); }).find("none of its 1 image file(s) could be decoded"),
            std::string::npos);
  ScratchDir empty;
  fs::create_directories(empty.path("sub"));
  EXPECT_NE(error_of([&] { load_image_folder(empty.path(), options); }).find("no PNG or JPEG files"), std::string::npos);
  // Neither IDX nor images: load_dataset's IDX message.
  EXPECT_NE(error_of([&] { load_dataset(empty.path()); }).find("no train-images IDX file"), std::string::npos);
}

TEST(ImageFolder, ColourImagesAreStoredAsChannelPlanes) {
  ScratchDir dir;
  std::vector<uint8_t> rgb(4 * 4 * 3);
  for (int y = 0; y < 4; ++y) {
    for (int x = 0; x < 4; ++x) {
      uint8_t* p = &rgb[(y * 4 + x) * 3];
      p[0] = static_cast<uint8_t>(10 * x);
      p[1] = static_cast<uint8_t>(10 * y);
      p[2] = 200;
    }
  }
  fs::create_directories(dir.path("one"));
  testing::write_bytes(dir.path("one/rgb.png"), encode_png_rgb(rgb.data(), 4, 4));
  ImageOptions options;
  options.image_size = 4;
  options.channels = 3;
  options.progress = false;
  const Dataset colour = load_image_folder(dir.path(), options);
  ASSERT_EQ(colour.channels, 3);
  ASSERT_EQ(colour.pixels_per_image(), 48);
  for (int p = 0; p < 16; ++p) {
    EXPECT_EQ(colour.pixels[p], 10 * (p % 4));        // red plane
    EXPECT_EQ(colour.pixels[16 + p], 10 * (p / 4));   // green plane
    EXPECT_EQ(colour.pixels[32 + p], 200);            // blue plane
  }
  // The same file as grey: one plane, the cache keyed apart.
  options.channels = 1;
  const Dataset grey = load_image_folder(dir.path(), options);
  EXPECT_EQ(grey.channels, 1);
  EXPECT_EQ(grey.pixels.size(), 16u);
}

// An image folder's images come grouped by class: gan eval holds out every fifth image (every
// class in both splits), not the last 20% (the last classes only).
TEST(ImageFolder, EvaluationHoldsOutEveryClass) {
  ScratchDir dir;
  for (int i = 0; i < 60; ++i) {
    write_png(dir.path(std::string(1, static_cast<char>('a' + i / 20)) + "/" + std::to_string(100 + i) + ".png"),
              pattern(28, 28, i), 28, 28);
  }
  const EvalData eval = load_eval_data(dir.path(), ImageOptions{28, 1, false});
  EXPECT_EQ(eval.held_out.count, 12);
  EXPECT_EQ(eval.train.count, 48);
  for (uint8_t c = 0; c < 3; ++c) {
    EXPECT_EQ(std::count(eval.held_out.labels.begin(), eval.held_out.labels.end(), c), 4) << int(c);
    EXPECT_EQ(std::count(eval.train.labels.begin(), eval.train.labels.end(), c), 16) << int(c);
  }
}

// The same 40 images as an IDX file and as a flat folder of PNGs (names in the IDX order):
// two runs of the MLP, bit for bit the same.
TEST(ImageFolderCli, AFolderTrainsAsTheSameImagesInIdxDo) {
  ScratchDir dir;
  const std::vector<uint8_t> idx = testing::make_idx_images(40, 28, 28, 12);
  fs::create_directories(dir.path("idx"));
  testing::write_bytes(dir.path("idx/train-images-idx3-ubyte"), idx);
  const IdxArray images = parse_idx(idx, 3, "test");
  for (int i = 0; i < 40; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "png/%02d.png", i);
    write_png(dir.path(name), std::vector<uint8_t>(images.data.begin() + i * 784, images.data.begin() + (i + 1) * 784),
              28, 28);
  }
  const std::string flags = " --device cpu --batch 8 --steps 7 --g-hidden 16 --d-hidden 12 --sample-every 0 --log-every 7";
  const auto from_idx = testing::run_gan("train --data " + dir.path("idx") + " --out " + dir.path("a") + flags);
  ASSERT_EQ(from_idx.exit_code, 0) << from_idx.output;
  const auto from_png = testing::run_gan("train --data " + dir.path("png") + " --out " + dir.path("b") + flags);
  ASSERT_EQ(from_png.exit_code, 0) << from_png.output;
  EXPECT_NE(from_png.output.find("decoding"), std::string::npos) << from_png.output;
  const Checkpoint a = load_checkpoint(dir.path("a/last.safetensors"), nullptr);
  const Checkpoint b = load_checkpoint(dir.path("b/last.safetensors"), nullptr);
  EXPECT_EQ(a.state.generator.params, b.state.generator.params);
  EXPECT_EQ(a.state.discriminator.params, b.state.discriminator.params);
  // A folder of classes trains a conditional model on its subfolders' labels.
  for (int i = 0; i < 30; ++i) {
    write_png(dir.path("classes/" + std::string(i % 3 == 0 ? "cat" : i % 3 == 1 ? "dog" : "eel") + "/" +
                       std::to_string(i) + ".png"),
              pattern(28, 28, i), 28, 28);
  }
  const auto conditional = testing::run_gan("train --conditional --data " + dir.path("classes") + " --out " +
                                            dir.path("c") + flags);
  ASSERT_EQ(conditional.exit_code, 0) << conditional.output;
  ModelSpec spec;
  load_checkpoint(dir.path("c/last.safetensors"), &spec);
  EXPECT_EQ(spec.classes, 3);
}

}  // namespace
}  // namespace gan
