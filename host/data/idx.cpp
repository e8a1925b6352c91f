#include "data/idx.h"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <limits>

#include "util/error.h"
#include "util/files.h"

namespace gan {

namespace {

constexpr uint8_t kUnsignedByteType = 0x08;
// Refuse to inflate more than this: no IDX file we accept is near it, and a corrupt or
// malicious gzip stream must not exhaust memory.
constexpr size_t kMaxInflatedBytes = size_t{8} << 30;

uint32_t read_big_endian(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

std::string hex32(uint32_t v) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08x", v);
  return text;
}

}  // namespace

std::vector<uint8_t> gunzip_if_needed(std::vector<uint8_t> bytes, const std::string& name) {
  if (bytes.size() < 2 || bytes[0] != 0x1f || bytes[1] != 0x8b) return bytes;
  if (bytes.size() > std::numeric_limits<uInt>::max()) throw InputError(name + ": gzip file larger than 4 GiB");
  z_stream stream{};
  if (inflateInit2(&stream, 15 + 16) != Z_OK) throw IoError(name + ": cannot initialise zlib");
  std::vector<uint8_t> out(bytes.size() * 4 + 1024);
  stream.next_in = bytes.data();
  stream.avail_in = static_cast<uInt>(bytes.size());
  while (true) {
    if (stream.total_out == out.size()) {
      if (out.size() >= kMaxInflatedBytes) {
        inflateEnd(&stream);
        throw InputError(name + ": gzip data inflates to more than " + std::to_string(kMaxInflatedBytes >> 30) + " GiB");
      }
      out.resize(std::min(out.size() * 2, kMaxInflatedBytes));
    }
    stream.next_out = out.data() + stream.total_out;
    stream.avail_out = static_cast<uInt>(std::min<size_t>(out.size() - stream.total_out, std::numeric_limits<uInt>::max()));
    const int status = inflate(&stream, Z_NO_FLUSH);
    if (status == Z_STREAM_END) break;
    if (status == Z_OK) continue;
    if (status == Z_BUF_ERROR && stream.avail_in == 0) {
      inflateEnd(&stream);
      throw InputError(name + ": gzip data is truncated (the stream ends after " + std::to_string(bytes.size()) +
                  " compressed bytes without its end marker)");
    }
    if (status == Z_BUF_ERROR) continue;  // output full: grow and go on
    const std::string reason = stream.msg ? stream.msg : "zlib error " + std::to_string(status);
    inflateEnd(&stream);
    throw InputError(name + ": gzip data is corrupt (" + reason + ")");
  }
  out.resize(stream.total_out);
  inflateEnd(&stream);
  return out;
}

IdxArray parse_idx(const std::vector<uint8_t>& bytes, int expected_dims, const std::string& name) {
  const uint32_t expected_magic = 0x00000800u | static_cast<uint32_t>(expected_dims);
  const char* what = expected_dims == 1 ? "labels" : "images";
  if (bytes.empty()) throw InputError(name + ": empty file, expected an IDX " + std::string(what) + " file");
  if (bytes.size() < 4) throw InputError(name + ": truncated: " + std::to_string(bytes.size()) + " bytes, shorter than the 4-byte IDX magic");
  const uint32_t magic = read_big_endian(bytes.data());
  if (magic != expected_magic) {
    std::string detail;
    if (bytes[0] != 0 || bytes[1] != 0) detail = " (not an IDX file)";
    else if (bytes[2] != kUnsignedByteType) detail = " (data type " + hex32(bytes[2]) + ", only unsigned bytes 0x08 are supported)";
    else detail = " (" + std::to_string(bytes[3]) + " dimensions)";
    throw InputError(name + ": wrong magic " + hex32(magic) + detail + ", expected " + hex32(expected_magic) +
                " (IDX " + what + ": unsigned bytes, " + std::to_string(expected_dims) + " dimension" +
                (expected_dims == 1 ? "" : "s") + ")");
  }
  const size_t header = 4 + 4 * static_cast<size_t>(expected_dims);
  if (bytes.size() < header) {
    throw InputError(name + ": truncated header: " + std::to_string(bytes.size()) + " bytes, the header needs " +
                std::to_string(header));
  }
  IdxArray array;
  size_t count = 1;
  std::string shape;
  for (int d = 0; d < expected_dims; ++d) {
    const uint32_t dim = read_big_endian(bytes.data() + 4 + 4 * d);
    array.dims.push_back(dim);
    shape += (d ? " x " : "") + std::to_string(dim);
    if (dim == 0) {
      throw InputError(name + ": dimension " + std::to_string(d) + " is 0 (" + shape +
                  (d == 0 ? "): the file holds no items" : "): empty items"));
    }
    if (count > std::numeric_limits<size_t>::max() / dim) {
      throw InputError(name + ": absurd header: dimensions " + shape + "... overflow a size");
    }
    count *= dim;
  }
  const size_t payload = bytes.size() - header;
  if (count > payload) {
    throw InputError(name + ": truncated: header says " + shape + " = " + std::to_string(count) +
                " bytes of data, the file has " + std::to_string(payload) + " after its " +
                std::to_string(header) + "-byte header");
  }
  if (count < payload) {
    throw InputError(name + ": " + std::to_string(payload - count) + " unexpected bytes after the " + shape +
                " data (the header and the file size disagree)");
  }
  array.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(header), bytes.end());
  return array;
}

IdxArray read_idx_file(const std::string& path, int expected_dims) {
  return parse_idx(gunzip_if_needed(read_whole_file(path), path), expected_dims, path);
}

std::vector<uint8_t> encode_idx(const std::vector<uint32_t>& dims, const uint8_t* data) {
  std::vector<uint8_t> out = {0, 0, kUnsignedByteType, static_cast<uint8_t>(dims.size())};
  size_t count = 1;
  for (uint32_t dim : dims) {
    out.push_back(static_cast<uint8_t>(dim >> 24));
    out.push_back(static_cast<uint8_t>(dim >> 16));
    out.push_back(static_cast<uint8_t>(dim >> 8));
    out.push_back(static_cast<uint8_t>(dim));
    count *= dim;
  }
  out.insert(out.end(), data, data + count);
  return out;
}

}  // namespace gan
