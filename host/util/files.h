#pragma once
// defines: read_whole_file, write_file_atomically, ensure_directory
#include <cstdint>
#include <string>
#include <vector>

namespace gan {

// The bytes of `path`; throws gan::Error naming the file if it is missing, a directory or
// unreadable.
std::vector<uint8_t> read_whole_file(const std::string& path);

// Writes `bytes` to `path` through `path.tmp`, fsync and rename, so that a reader (or a crash)
// sees either the old file or the whole new one, never a torn one. Throws gan::Error naming the
// file on any failure (a full disk included) and removes the temporary file.
void write_file_atomically(const std::string& path, const void* bytes, size_t size);
inline void write_file_atomically(const std::string& path, const std::string& text) {
  write_file_atomically(path, text.data(), text.size());
}

// Creates `path` and its parents if needed; throws gan::Error if that fails or if it exists
// and is not a directory.
void ensure_directory(const std::string& path);

}  // namespace gan
