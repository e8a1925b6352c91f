#include "io/safetensors.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>

#include "util/error.h"
#include "util/files.h"

namespace gan {

using nlohmann::json;

namespace {

// Header JSON larger than this is refused: ours are a few kB, and a corrupt length field must
// not make us allocate gigabytes.
constexpr uint64_t kMaxHeaderBytes = 100u << 20;

int64_t element_count(const std::vector<int64_t>& shape) {
  int64_t count = 1;
  for (int64_t d : shape) count *= d;
  return count;
}

}  // namespace

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

const StoredTensor& SafetensorsFile::get(const std::string& name, const std::vector<int64_t>& shape) const {
  const auto it = tensors.find(name);
  if (it == tensors.end()) throw InputError(source + ": no tensor '" + name + "' (expected shape " + shape_text(shape) + ")");
  if (it->second.shape != shape) {
    throw InputError(source + ": tensor '" + name + "' has shape " + shape_text(it->second.shape) + ", expected " +
                shape_text(shape));
  }
  return it->second;
}

std::vector<uint8_t> encode_safetensors(const std::vector<TensorView>& tensors,
                                        const std::map<std::string, std::string>& metadata) {
  json header = json::object();
  uint64_t offset = 0;
  for (const auto& tensor : tensors) {
    const uint64_t bytes = static_cast<uint64_t>(element_count(tensor.shape)) * sizeof(float);
    header[tensor.name] = {{"dtype", "F32"}, {"shape", tensor.shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::string text = header.dump();
  // Pad the header with spaces so the data starts 8-byte aligned (the format allows it).
  while ((8 + text.size()) % 8 != 0) text.push_back(' ');
  std::vector<uint8_t> out(8 + text.size() + offset);
  const uint64_t length = text.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(length >> (8 * i));
  std::memcpy(out.data() + 8, text.data(), text.size());
  uint8_t* data = out.data() + 8 + text.size();
  for (const auto& tensor : tensors) {
    const size_t bytes = static_cast<size_t>(element_count(tensor.shape)) * sizeof(float);
    if (bytes) std::memcpy(data, tensor.data, bytes);  // little-endian hosts only (x86-64, arm64)
    data += bytes;
  }
  return out;
}

void write_safetensors(const std::string& path, const std::vector<TensorView>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  const auto bytes = encode_safetensors(tensors, metadata);
  write_file_atomically(path, bytes.data(), bytes.size());
}

SafetensorsFile parse_safetensors(const std::vector<uint8_t>& bytes, const std::string& name) {
  if (bytes.size() < 8) {
    throw InputError(name + ": truncated: " + std::to_string(bytes.size()) + " bytes, a safetensors file starts with an 8-byte header length");
  }
  uint64_t header_length = 0;
  for (int i = 0; i < 8; ++i) header_length |= uint64_t{bytes[i]} << (8 * i);
  if (header_length > kMaxHeaderBytes) {
    throw InputError(name + ": header length " + std::to_string(header_length) + " is absurd (limit " +
                std::to_string(kMaxHeaderBytes) + " bytes): not a safetensors file, or corrupt");
  }
  if (8 + header_length > bytes.size()) {
    throw InputError(name + ": header length " + std::to_string(header_length) + " exceeds the file (" +
                std::to_string(bytes.size()) + " bytes): truncated or corrupt");
  }
  json header;
  try {
    header = json::parse(bytes.begin() + 8, bytes.begin() + 8 + static_cast<std::ptrdiff_t>(header_length));
  } catch (const json::exception& e) {  // parse_error, and out_of_range for numbers too large
    throw InputError(name + ": the header is not valid JSON (" + e.what() + ")");
  }
  if (!header.is_object()) throw InputError(name + ": the header is not a JSON object");
  const uint64_t buffer_size = bytes.size() - 8 - header_length;
  const uint8_t* buffer = bytes.data() + 8 + header_length;

  SafetensorsFile file;
  file.source = name;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  std::map<uint64_t, std::string> range_owner;
  for (const auto& [key, entry] : header.items()) {
    if (key == "__metadata__") {
      if (!entry.is_object()) throw InputError(name + ": __metadata__ is not an object of strings");
      for (const auto& [meta_key, meta_value] : entry.items()) {
        if (!meta_value.is_string()) throw InputError(name + ": __metadata__ key '" + meta_key + "' is not a string");
        file.metadata[meta_key] = meta_value.get<std::string>();
      }
      continue;
    }
    const std::string where = name + ": tensor '" + key + "'";
    if (!entry.is_object()) throw InputError(where + ": entry is not an object");
    if (!entry.contains("dtype") || !entry["dtype"].is_string()) throw InputError(where + ": missing or non-string dtype");
    if (entry["dtype"] != "F32") throw InputError(where + ": dtype " + entry["dtype"].get<std::string>() + ", expected F32");
    if (!entry.contains("shape") || !entry["shape"].is_array()) throw InputError(where + ": missing or non-array shape");
    StoredTensor tensor;
    uint64_t count = 1;
    for (const auto& d : entry["shape"]) {
      if (!d.is_number_integer() || d.get<int64_t>() < 0) throw InputError(where + ": shape " + entry["shape"].dump() + " is not a list of sizes >= 0");
      const uint64_t dim = d.get<uint64_t>();
      if (dim != 0 && count > (buffer_size / sizeof(float)) / dim + 1) {
        throw InputError(where + ": shape " + entry["shape"].dump() + " is larger than the file");
      }
      count *= dim;
      tensor.shape.push_back(d.get<int64_t>());
    }
    const json& offsets = entry.contains("data_offsets") ? entry["data_offsets"] : json();
    if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() || !offsets[1].is_number_unsigned()) {
      throw InputError(where + ": data_offsets must be [begin, end] with integers >= 0");
    }
    const uint64_t begin = offsets[0].get<uint64_t>(), end = offsets[1].get<uint64_t>();
    if (begin > end || end > buffer_size) {
      throw InputError(where + ": data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                  "] lie outside the data buffer of " + std::to_string(buffer_size) + " bytes");
    }
    if (end - begin != count * sizeof(float)) {
      throw InputError(where + ": data_offsets cover " + std::to_string(end - begin) + " bytes, shape " +
                  shape_text(tensor.shape) + " of F32 needs " + std::to_string(count * sizeof(float)));
    }
    ranges.emplace_back(begin, end);
    range_owner[begin] = key;
    tensor.data.resize(count);
    if (count) std::memcpy(tensor.data.data(), buffer + begin, count * sizeof(float));
    file.tensors.emplace(key, std::move(tensor));
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i) {
    if (ranges[i].first < ranges[i - 1].second) {
      throw InputError(name + ": tensors '" + range_owner[ranges[i - 1].first] + "' and '" + range_owner[ranges[i].first] +
                  "' overlap in the data buffer");
    }
  }
  return file;
}

SafetensorsFile read_safetensors(const std::string& path) { return parse_safetensors(read_whole_file(path), path); }

}  // namespace gan
