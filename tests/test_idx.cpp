// The IDX reader and the dataset loader: round trips, gzip, folder layouts, and every kind of bad
// file rejected with a message that names the file and the problem.
#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>

#include "data/dataset.h"
#include "data/idx.h"
#include "test_util.h"
#include "util/error.h"

namespace gan {
namespace {

using testing::make_idx_images;
using testing::make_idx_labels;
using testing::ScratchDir;
using testing::write_bytes;

std::vector<uint8_t> gzip(const std::vector<uint8_t>& raw) {
  z_stream s{};
  deflateInit2(&s, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::vector<uint8_t> out(deflateBound(&s, raw.size()) + 64);
  s.next_in = const_cast<Bytef*>(raw.data());
  s.avail_in = static_cast<uInt>(raw.size());
  s.next_out = out.data();
  s.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&s, Z_FINISH), Z_STREAM_END);
  out.resize(s.total_out);
  deflateEnd(&s);
  return out;
}

// Runs f, which must throw gan::Error, and returns its message.
template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no gan::Error thrown";
  return "";
}

TEST(Idx, RoundTripPlainAndGzip) {
  ScratchDir dir;
  const auto bytes = make_idx_images(13, 5, 7, 1);
  write_bytes(dir.path("plain"), bytes);
  write_bytes(dir.path("packed"), gzip(bytes));
  for (const char* name : {"plain", "packed"}) {
    const IdxArray a = read_idx_file(dir.path(name), 3);
    EXPECT_EQ(a.dims, (std::vector<uint32_t>{13, 5, 7}));
    EXPECT_EQ(a.data, std::vector<uint8_t>(bytes.begin() + 16, bytes.end()));
  }
}

TEST(Idx, RejectsWrongMagic) {
  auto bytes = make_idx_images(2, 3, 3, 1);
  const std::string labels_as_images = error_of([&] { parse_idx(make_idx_labels(4, 1), 3, "f.idx"); });
  EXPECT_NE(labels_as_images.find("f.idx: wrong magic 0x00000801"), std::string::npos) << labels_as_images;
  EXPECT_NE(labels_as_images.find("expected 0x00000803"), std::string::npos);
  bytes[2] = 0x0d;  // float data
  EXPECT_NE(error_of([&] { parse_idx(bytes, 3, "f"); }).find("only unsigned bytes"), std::string::npos);
  bytes[0] = 'P';
  EXPECT_NE(error_of([&] { parse_idx(bytes, 3, "f"); }).find("not an IDX file"), std::string::npos);
}

TEST(Idx, RejectsTruncationAnywhere) {
  const auto bytes = make_idx_images(3, 4, 4, 2);  // 16-byte header + 48 bytes
  for (size_t keep : {size_t{0}, size_t{3}, size_t{4}, size_t{9}, size_t{15}, size_t{16}, size_t{40}, bytes.size() - 1}) {
    SCOPED_TRACE(keep);
    const std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<long>(keep));
    const std::string message = error_of([&] { parse_idx(cut, 3, "cut.idx"); });
    EXPECT_EQ(message.rfind("cut.idx: ", 0), 0u) << message;
    EXPECT_TRUE(message.find("truncated") != std::string::npos || message.find("empty") != std::string::npos) << message;
  }
}

TEST(Idx, EveryHeaderFieldWrongInTurnIsRejected) {
  const auto good = make_idx_images(3, 4, 5, 2);
  ASSERT_NO_THROW(parse_idx(good, 3, "good"));
  // Each of the 16 header bytes changed: the magic (zero bytes, type, dimension count) and
  // every byte of the three dimensions. Every change must be caught, none may crash.
  for (size_t byte = 0; byte < 16; ++byte) {
    for (uint8_t delta : {uint8_t{1}, uint8_t{0x80}}) {
      auto bad = good;
      bad[byte] = static_cast<uint8_t>(bad[byte] + delta);
      SCOPED_TRACE(::testing::Message() << "byte " << byte << " + " << int(delta));
      const std::string message = error_of([&] { parse_idx(bad, 3, "hdr.idx"); });
      EXPECT_EQ(message.rfind("hdr.idx: ", 0), 0u) << message;
    }
  }
}

TEST(Idx, TruncationAtEveryLengthIsRejected) {
  const auto good = make_idx_images(2, 3, 3, 3);
  for (size_t keep = 0; keep < good.size(); ++keep) {
    const std::vector<uint8_t> cut(good.begin(), good.begin() + static_cast<long>(keep));
    EXPECT_THROW(parse_idx(cut, 3, "cut"), Error) << keep;
  }
  const auto packed = gzip(good);
  for (size_t keep = 2; keep < packed.size(); ++keep) {
    const std::vector<uint8_t> cut(packed.begin(), packed.begin() + static_cast<long>(keep));
    EXPECT_THROW(parse_idx(gunzip_if_needed(cut, "cut.gz"), 3, "cut.gz"), Error) << keep;
  }
}

TEST(Idx, RejectsAbsurdHeaders) {
  auto zero = make_idx_images(1, 2, 2, 3);
  zero[7] = 0;  // zero images
  EXPECT_NE(error_of([&] { parse_idx(zero, 3, "z"); }).find("holds no items"), std::string::npos);
  auto huge = make_idx_images(1, 2, 2, 3);
  for (int i = 4; i < 16; ++i) huge[i] = 0xff;  // 4294967295^3 overflows
  const std::string overflow = error_of([&] { parse_idx(huge, 3, "h"); });
  EXPECT_TRUE(overflow.find("overflow") != std::string::npos || overflow.find("truncated") != std::string::npos) << overflow;
  auto big = make_idx_images(1, 2, 2, 3);
  big[4] = 0x10;  // 268 million images of 2x2 in a 20-byte file
  EXPECT_NE(error_of([&] { parse_idx(big, 3, "b"); }).find("truncated"), std::string::npos);
  auto extra = make_idx_images(1, 2, 2, 3);
  extra.push_back(0);
  EXPECT_NE(error_of([&] { parse_idx(extra, 3, "e"); }).find("unexpected bytes"), std::string::npos);
}

TEST(Idx, RejectsCorruptAndTruncatedGzip) {
  const auto packed = gzip(make_idx_images(50, 8, 8, 4));
  auto corrupt = packed;
  for (size_t i = 12; i < 40; ++i) corrupt[i] ^= 0x5a;
  EXPECT_NE(error_of([&] { gunzip_if_needed(corrupt, "c.gz"); }).find("c.gz: gzip data is"), std::string::npos);
  const std::vector<uint8_t> cut(packed.begin(), packed.begin() + static_cast<long>(packed.size() / 2));
  EXPECT_NE(error_of([&] { gunzip_if_needed(cut, "t.gz"); }).find("t.gz: gzip data is truncated"), std::string::npos);
}

TEST(Dataset, LoadsStandardFolderWithLabels) {
  ScratchDir dir;
  write_bytes(dir.path("train-images-idx3-ubyte"), make_idx_images(9, 28, 28, 5));
  write_bytes(dir.path("train-labels-idx1-ubyte.gz"), gzip(make_idx_labels(9, 5)));
  const Dataset d = load_dataset(dir.path());
  EXPECT_EQ(d.count, 9);
  EXPECT_EQ(d.height, 28);
  EXPECT_EQ(d.labels.size(), 9u);
}

TEST(Dataset, FindsTorchvisionRawFolder) {
  ScratchDir dir;
  std::filesystem::create_directories(dir.path("MNIST/raw"));
  write_bytes(dir.path("MNIST/raw/train-images-idx3-ubyte.gz"), gzip(make_idx_images(4, 6, 5, 6)));
  const Dataset d = load_dataset(dir.path());
  EXPECT_EQ(d.count, 4);
  EXPECT_EQ(d.height, 6);
  EXPECT_EQ(d.width, 5);
  EXPECT_TRUE(d.labels.empty());
}

TEST(Dataset, LoadsExplicitImagesPathWithLabelsBeside) {
  ScratchDir dir;
  write_bytes(dir.path("digits-images-idx3-ubyte"), make_idx_images(3, 4, 4, 7));
  write_bytes(dir.path("digits-labels-idx1-ubyte"), make_idx_labels(3, 7));
  const Dataset d = load_dataset(dir.path("digits-images-idx3-ubyte"));
  EXPECT_EQ(d.count, 3);
  EXPECT_EQ(d.labels_path, dir.path("digits-labels-idx1-ubyte"));
}

TEST(Dataset, RejectsMismatchedLabelCount) {
  ScratchDir dir;
  write_bytes(dir.path("train-images-idx3-ubyte"), make_idx_images(5, 4, 4, 8));
  write_bytes(dir.path("train-labels-idx1-ubyte"), make_idx_labels(6, 8));
  const std::string message = error_of([&] { load_dataset(dir.path()); });
  EXPECT_NE(message.find("6 labels"), std::string::npos) << message;
  EXPECT_NE(message.find("5 images"), std::string::npos) << message;
}

TEST(Dataset, RejectsMissingFolderAndDirectoryAsFile) {
  ScratchDir dir;
  EXPECT_NE(error_of([&] { load_dataset(dir.path("nope")); }).find("no such file or folder"), std::string::npos);
  const std::string empty = error_of([&] { load_dataset(dir.path()); });
  EXPECT_NE(empty.find("no train-images IDX file"), std::string::npos) << empty;
  std::filesystem::create_directories(dir.path("train-images-idx3-ubyte"));  // a folder with a file's name
  EXPECT_NE(error_of([&] { read_idx_file(dir.path("train-images-idx3-ubyte"), 3); }).find("is a directory"),
            std::string::npos);
}

TEST(Dataset, GatherNormalizeMatchesTorchvision) {
  Dataset d;
  d.count = 2;
  d.height = 1;
  d.width = 3;
  d.pixels = {0, 128, 255, 1, 2, 3};
  const uint32_t order[] = {1, 0};
  std::vector<float> out(6, NAN);
  gather_normalize(d, order, 2, 0.5f, 0.5f, out.data());
  EXPECT_EQ(out[3], -1.0f);
  EXPECT_EQ(out[5], 1.0f);
  EXPECT_EQ(out[4], (128.0f / 255.0f - 0.5f) / 0.5f);
  EXPECT_EQ(out[0], (1.0f / 255.0f - 0.5f) / 0.5f);
}

}  // namespace
}  // namespace gan
