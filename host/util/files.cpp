#include "util/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "util/error.h"

namespace gan {

std::vector<uint8_t> read_whole_file(const std::string& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) throw InputError(path + ": no such file");
  if (std::filesystem::is_directory(status)) throw InputError(path + ": is a directory, expected a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path + ": cannot open for reading (" + std::strerror(errno) + ")");
  std::vector<uint8_t> bytes;
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0) throw IoError(path + ": cannot determine the file size");
  in.seekg(0, std::ios::beg);
  bytes.resize(static_cast<size_t>(size));
  if (size > 0 && !in.read(reinterpret_cast<char*>(bytes.data()), size)) {
    throw IoError(path + ": read failed after " + std::to_string(in.gcount()) + " of " +
                std::to_string(size) + " bytes");
  }
  return bytes;
}

namespace {

std::string errno_text() { return std::strerror(errno); }

// Writes all of [data, data+size) to fd, retrying short writes.
bool write_all(int fd, const uint8_t* data, size_t size) {
  while (size > 0) {
    const ssize_t written = ::write(fd, data, size);
    if (written < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += written;
    size -= static_cast<size_t>(written);
  }
  return true;
}

}  // namespace

void write_file_atomically(const std::string& path, const void* bytes, size_t size) {
  const std::string temporary = path + ".tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw IoError(path + ": cannot create " + temporary + " (" + errno_text() + ")");
  const bool ok = write_all(fd, static_cast<const uint8_t*>(bytes), size);
  const std::string write_error = ok ? "" : errno_text();
  const bool synced = ok && ::fsync(fd) == 0;
  const std::string sync_error = (ok && !synced) ? errno_text() : "";
  ::close(fd);
  if (!ok || !synced) {
    ::unlink(temporary.c_str());
    throw IoError(path + ": writing failed (" + (ok ? sync_error : write_error) +
                "); the previous file, if any, is unchanged");
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    const std::string rename_error = errno_text();
    ::unlink(temporary.c_str());
    throw IoError(path + ": cannot rename " + temporary + " into place (" + rename_error + ")");
  }
  // Make the rename itself durable: fsync the directory that holds the file.
  const std::string folder = std::filesystem::path(path).parent_path().string();
  const int dir_fd = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
}

void ensure_directory(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    if (!std::filesystem::is_directory(path, ec)) throw InputError(path + ": exists and is not a directory");
    return;
  }
  std::filesystem::create_directories(path, ec);
  if (ec) throw IoError(path + ": cannot create the folder (" + ec.message() + ")");
}

}  // namespace gan
