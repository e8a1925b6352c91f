#pragma once
// defines: TensorView, SafetensorsFile, encode_safetensors, write_safetensors, parse_safetensors,
// read_safetensors
//
// The safetensors format: 8 bytes little-endian header length N, N bytes of JSON
// {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
//  "__metadata__": {"key": "string", ...}}, then the tensor bytes (offsets relative to the end
// of the header). We write and read float32 ("F32") tensors only.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace gan {

struct TensorView {
  std::string name;
  std::vector<int64_t> shape;
  const float* data = nullptr;  // product(shape) floats
};

struct StoredTensor {
  std::vector<int64_t> shape;
  std::vector<float> data;
};

struct SafetensorsFile {
  std::map<std::string, StoredTensor> tensors;
  std::map<std::string, std::string> metadata;

  // The tensor `name`, checked to have `shape`; throws gan::Error naming the file, the tensor
  // and both shapes otherwise.
  const StoredTensor& get(const std::string& name, const std::vector<int64_t>& shape) const;
  std::string source;  // the file it came from, for errors
};

std::vector<uint8_t> encode_safetensors(const std::vector<TensorView>& tensors,
                                        const std::map<std::string, std::string>& metadata);

// Encodes and writes atomically (temporary file, fsync, rename).
void write_safetensors(const std::string& path, const std::vector<TensorView>& tensors,
                       const std::map<std::string, std::string>& metadata);

// Validates everything (header length against the size, JSON, dtypes, shapes against sizes,
// offsets inside the buffer and not overlapping) and throws gan::Error naming `name` and the
// problem.
SafetensorsFile parse_safetensors(const std::vector<uint8_t>& bytes, const std::string& name);
SafetensorsFile read_safetensors(const std::string& path);

std::string shape_text(const std::vector<int64_t>& shape);  // "[256, 100]"

}  // namespace gan
