#pragma once
// defines: IdxArray, parse_idx, read_idx_file, gunzip_if_needed, encode_idx
//
// The IDX format of MNIST: a 4-byte magic (0, 0, type, number of dimensions; type 0x08 is
// unsigned bytes), one big-endian uint32 per dimension, then the data in row-major order.
// Files may be gzip-compressed (detected by the gzip magic, not by the name).
#include <cstdint>
#include <string>
#include <vector>

namespace gan {

struct IdxArray {
  std::vector<uint32_t> dims;  // e.g. {60000, 28, 28} for images, {60000} for labels
  std::vector<uint8_t> data;   // product(dims) bytes
};

// Decompresses gzip data (whole stream, checked for truncation and corruption); returns the
// input unchanged when it does not start with the gzip magic. `name` is used in errors.
std::vector<uint8_t> gunzip_if_needed(std::vector<uint8_t> bytes, const std::string& name);

// Parses IDX bytes, requiring unsigned-byte data with `expected_dims` dimensions.
// Throws gan::Error naming `name` and what is wrong (magic, truncation, absurd sizes, ...).
IdxArray parse_idx(const std::vector<uint8_t>& bytes, int expected_dims, const std::string& name);

// read_whole_file + gunzip_if_needed + parse_idx.
IdxArray read_idx_file(const std::string& path, int expected_dims);

// The IDX bytes (uncompressed) of an unsigned-byte array.
std::vector<uint8_t> encode_idx(const std::vector<uint32_t>& dims, const uint8_t* data);

}  // namespace gan
