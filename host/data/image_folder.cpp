#include "data/image_folder.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <system_error>

#include "data/image_decode.h"
#include "util/error.h"
#include "util/files.h"
#include "util/memory.h"
#include "util/parallel.h"

namespace gan {

namespace fs = std::filesystem;

namespace {

constexpr char kCacheMagic[8] = {'G', 'A', 'N', 'I', 'M', 'G', 'S', '1'};

bool is_image_name(const fs::path& path) {
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(), [](unsigned char c) { return std::tolower(c); });
  return extension == ".png" || extension == ".jpg" || extension == ".jpeg";
}

bool hidden(const fs::path& path) {
  const std::string name = path.filename().string();
  return !name.empty() && name[0] == '.';
}

// The real folders of one scan, each with the path it is read by, so that each is read once: a
// link back to a folder being read (a loop: std::filesystem's recursive walk followed one until
// the kernel's limit of 40 links in a path, reading the folder 41 times) or a second link to one
// folder is not followed, and is named. The image folder and the folders above it are marked first, as
// holding the data: a link to any of them is a loop.
class FolderWalk {
 public:
  explicit FolderWalk(const fs::path& root) {
    std::error_code ec;
    fs::path at = fs::canonical(root, ec);
    if (ec) at = fs::absolute(root, ec);
    for (;;) {
      Id id;
      if (identify(at, &id)) holders_.emplace(id, at.string());
      if (at == at.parent_path() || at.empty()) break;
      at = at.parent_path();
    }
  }

  // Marks `dir` as read by this path and returns true, or returns false and notes why `dir` (a
  // link to a folder) is not to be read: its folder holds the data or is read by another path.
  // False also for a path that is not a folder (then nothing is noted).
  bool claim(const fs::path& dir) {
    Id id;
    if (!identify(dir, &id)) return false;
    if (const auto held = holders_.find(id); held != holders_.end()) {
      unfollowed_.push_back(dir.string() + ": a link back to " + held->second +
                            ", which holds it; not followed (a loop)");
      return false;
    }
    const auto [read, fresh] = read_as_.emplace(id, dir.string());
    if (!fresh) {
      unfollowed_.push_back(dir.string() + ": a link to the folder read as " + read->second +
                            "; not followed (each folder is read once)");
    }
    return fresh;
  }

  // Calls visit(path) for each image file at any depth below `dir` (which the caller has
  // claimed), subfolders in name order, following links to folders (as torchvision does) that
  // claim() allows; hidden files and folders skipped. Returns false when visit() does. A folder
  // that cannot be read is an InputError when `strict`, else the walk ends there.
  template <class Visit>
  bool walk(const fs::path& dir, bool strict, Visit& visit) {
    std::error_code ec;
    std::vector<fs::path> entries;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      if (!hidden(it->path())) entries.push_back(it->path());
    }
    if (ec) {
      if (strict) throw InputError(dir.string() + ": cannot read this folder (" + ec.message() + ")");
      return false;
    }
    // Name order, so that which of two links to one folder is followed does not depend on the
    // order the file system lists them in.
    std::sort(entries.begin(), entries.end(),
              [](const fs::path& a, const fs::path& b) { return a.filename().string() < b.filename().string(); });
    for (const fs::path& entry : entries) {
      if (fs::is_directory(entry, ec)) {
        if (claim(entry) && !walk(entry, strict, visit)) return false;
      } else if (fs::is_regular_file(entry, ec) && is_image_name(entry) && !visit(entry)) {
        return false;
      }
    }
    return true;
  }

  // The links not followed, sorted by path.
  std::vector<std::string> unfollowed() const {
    std::vector<std::string> sorted = unfollowed_;
    std::sort(sorted.begin(), sorted.end());
    return sorted;
  }

 private:
  using Id = std::pair<uint64_t, uint64_t>;  // device, inode

  // `path`'s folder (following links) as device and inode; false when it is not a folder.
  static bool identify(const fs::path& path, Id* id) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return false;
    *id = {static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
    return true;
  }

  std::map<Id, std::string> holders_, read_as_;
  std::vector<std::string> unfollowed_;
};

// Every image file below `dir`, sorted by (folder path, file name) as sorted(os.walk(...)) orders
// them.
std::vector<fs::path> images_below(const fs::path& dir, FolderWalk& folders) {
  std::vector<fs::path> found;
  auto keep = [&](const fs::path& path) {
    found.push_back(path);
    return true;
  };
  folders.walk(dir, /*strict=*/true, keep);
  std::sort(found.begin(), found.end(), [](const fs::path& a, const fs::path& b) {
    const std::string pa = a.parent_path().string(), pb = b.parent_path().string();
    return pa != pb ? pa < pb : a.filename().string() < b.filename().string();
  });
  return found;
}

// FNV-1a, 64 bits: the cache's key and its checksum.
struct Fnv {
  uint64_t hash = 1469598103934665603ull;
  void add(const void* data, size_t size) {
    const auto* bytes = static_cast<const uint8_t*>(data);
    for (size_t i = 0; i < size; ++i) hash = (hash ^ bytes[i]) * 1099511628211ull;
  }
  template <class T>
  void add_value(T value) {
    add(&value, sizeof value);
  }
  void add_text(const std::string& text) {
    add_value<uint64_t>(text.size());
    add(text.data(), text.size());
  }
};

uint64_t cache_key(const fs::path& dir, const ImageFolderScan& scan, const ImageOptions& options) {
  Fnv fnv;
  fnv.add_text("gan image cache 1");
  fnv.add_value<int32_t>(options.image_size);
  fnv.add_value<int32_t>(options.channels);
  // The classes too: a new subfolder without images moves every later label.
  fnv.add_value<uint64_t>(scan.classes.size());
  for (const std::string& name : scan.classes) fnv.add_text(name);
  for (size_t i = 0; i < scan.files.size(); ++i) {
    fnv.add_text(fs::path(scan.files[i]).lexically_relative(dir).string());
    fnv.add_value<uint64_t>(scan.sizes[i]);
    fnv.add_value<int64_t>(scan.times[i]);
  }
  return fnv.hash;
}

std::string hex(uint64_t value) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(value));
  return text;
}

// The cache file: magic, key, count, size, channels, skipped, has_labels, the class names,
// pixels, labels, then an FNV checksum of all before it.
class Writer {
 public:
  template <class T>
  void value(T v) {
    bytes(&v, sizeof v);
  }
  void bytes(const void* data, size_t size) {
    const auto* p = static_cast<const uint8_t*>(data);
    out.insert(out.end(), p, p + size);
  }
  std::vector<uint8_t> out;
};

// Reads the first `size` bytes of `in` (the cache without its checksum).
class Reader {
 public:
  Reader(const std::vector<uint8_t>& in, size_t size) : in_(in), size_(size) {}
  template <class T>
  bool value(T* v) {
    return bytes(v, sizeof *v);
  }
  bool bytes(void* data, size_t size) {
    if (size_ - at_ < size) return false;
    std::memcpy(data, in_.data() + at_, size);
    at_ += size;
    return true;
  }
  size_t left() const { return size_ - at_; }

 private:
  const std::vector<uint8_t>& in_;
  size_t size_;
  size_t at_ = 0;
};

std::vector<uint8_t> encode_cache(uint64_t key, const Dataset& d, int channels, int64_t skipped,
                                  const std::vector<std::string>& classes) {
  Writer w;
  w.bytes(kCacheMagic, sizeof kCacheMagic);
  w.value<uint64_t>(key);
  w.value<int64_t>(d.count);
  w.value<int32_t>(d.height);
  w.value<int32_t>(channels);
  w.value<int64_t>(skipped);
  w.value<uint8_t>(d.labels.empty() ? 0 : 1);
  w.value<uint32_t>(static_cast<uint32_t>(classes.size()));
  for (const std::string& name : classes) {
    w.value<uint32_t>(static_cast<uint32_t>(name.size()));
    w.bytes(name.data(), name.size());
  }
  w.bytes(d.pixels.data(), d.pixels.size());
  w.bytes(d.labels.data(), d.labels.size());
  Fnv fnv;
  fnv.add(w.out.data(), w.out.size());
  w.value<uint64_t>(fnv.hash);
  return w.out;
}

// The cached data set into *d (its pixels, labels, classes and sizes; nothing changed unless it
// succeeds), or false when the file is another key's, or damaged.
bool decode_cache(const std::vector<uint8_t>& bytes, uint64_t key, int size, int channels, Dataset* d,
                  int64_t* skipped) {
  if (bytes.size() < sizeof kCacheMagic + 8 || std::memcmp(bytes.data(), kCacheMagic, sizeof kCacheMagic) != 0) return false;
  Fnv fnv;
  fnv.add(bytes.data(), bytes.size() - 8);
  uint64_t stored = 0;
  std::memcpy(&stored, bytes.data() + bytes.size() - 8, 8);
  if (stored != fnv.hash) return false;
  Reader r(bytes, bytes.size() - 8);
  Dataset cached;
  char magic[8];
  uint64_t file_key = 0;
  int64_t count = 0;
  int32_t file_size = 0, file_channels = 0;
  uint8_t has_labels = 0;
  uint32_t class_count = 0;
  if (!r.bytes(magic, 8) || !r.value(&file_key) || file_key != key || !r.value(&count) || !r.value(&file_size) ||
      !r.value(&file_channels) || !r.value(skipped) || !r.value(&has_labels) || !r.value(&class_count)) {
    return false;
  }
  if (file_size != size || file_channels != channels || count < 1) return false;
  for (uint32_t c = 0; c < class_count; ++c) {
    uint32_t length = 0;
    std::string name;
    if (!r.value(&length) || length > 4096) return false;
    name.resize(length);
    if (!r.bytes(name.data(), length)) return false;
    cached.classes.push_back(name);
  }
  // What is left must be exactly the pixels (and labels): checked by division first, so that a
  // forged count cannot overflow the product.
  const size_t per_image = static_cast<size_t>(size) * size * channels + (has_labels ? 1 : 0);
  if (static_cast<uint64_t>(count) > r.left() / per_image || static_cast<size_t>(count) * per_image != r.left()) {
    return false;
  }
  cached.count = count;
  cached.channels = channels;
  cached.height = cached.width = size;
  cached.pixels.resize(static_cast<size_t>(count) * size * size * channels);
  r.bytes(cached.pixels.data(), cached.pixels.size());
  if (has_labels) {
    cached.labels.resize(static_cast<size_t>(count));
    r.bytes(cached.labels.data(), cached.labels.size());
  }
  d->count = cached.count;
  d->channels = cached.channels;
  d->height = cached.height;
  d->width = cached.width;
  d->pixels = std::move(cached.pixels);
  d->labels = std::move(cached.labels);
  d->classes = std::move(cached.classes);
  return true;
}

// One line of progress on stderr: rewritten in place on a terminal, every tenth otherwise.
class DecodeProgress {
 public:
  DecodeProgress(bool enabled, size_t total, const std::string& dir)
      : enabled_(enabled), total_(total), dir_(dir), terminal_(isatty(fileno(stderr)) != 0) {}
  void update(size_t done) {
    if (!enabled_) return;
    const size_t tenth = done * 10 / std::max<size_t>(total_, 1);
    if (terminal_) {
      const int width = 30;
      const int filled = static_cast<int>(width * done / std::max<size_t>(total_, 1));
      std::fprintf(stderr, "\rdecoding %s: [%s%s] %zu/%zu", dir_.c_str(), std::string(filled, '#').c_str(),
                   std::string(width - filled, '.').c_str(), done, total_);
      if (done == total_) std::fprintf(stderr, "\n");
    } else if (tenth != last_tenth_ || done == total_) {
      std::fprintf(stderr, "decoding %s: %zu/%zu images\n", dir_.c_str(), done, total_);
    }
    last_tenth_ = tenth;
    std::fflush(stderr);
  }

 private:
  bool enabled_;
  size_t total_;
  std::string dir_;
  bool terminal_;
  size_t last_tenth_ = 0;
};

}  // namespace

bool holds_images(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return false;
  bool found = false;
  auto stop = [&](const fs::path&) {
    found = true;
    return false;  // one is enough
  };
  FolderWalk(dir).walk(dir, /*strict=*/false, stop);
  return found;
}

ImageFolderScan scan_image_folder(const std::string& dir) {
  const fs::path root(dir);
  std::error_code ec;
  if (!fs::is_directory(root, ec)) throw InputError(dir + ": not a folder");
  ImageFolderScan scan;
  std::vector<fs::path> class_dirs, loose;
  fs::directory_iterator it(root, ec), end;
  if (ec) throw InputError(dir + ": cannot read this folder (" + ec.message() + ")");
  for (; it != end; it.increment(ec)) {
    if (ec) throw InputError(dir + ": cannot read this folder (" + ec.message() + ")");
    if (hidden(it->path())) continue;
    if (it->is_directory(ec)) {
      class_dirs.push_back(it->path());
    } else if (it->is_regular_file(ec) && is_image_name(it->path())) {
      loose.push_back(it->path());
    }
  }
  std::sort(class_dirs.begin(), class_dirs.end(),
            [](const fs::path& a, const fs::path& b) { return a.filename().string() < b.filename().string(); });
  // Every class's folder is claimed before any is walked, so that a link inside one class to
  // another class's folder is not followed: those images keep their own class's label. A
  // subfolder that is a link to the image folder (or above it), or to a folder an earlier class
  // is, is no class.
  FolderWalk folders(root);
  std::vector<fs::path> subfolders;
  subfolders.swap(class_dirs);
  for (const fs::path& path : subfolders) {
    if (folders.claim(path)) class_dirs.push_back(path);
  }
  std::vector<fs::path> files;
  if (class_dirs.empty()) {
    std::sort(loose.begin(), loose.end());
    files = loose;
  } else {
    if (class_dirs.size() > 256) {
      throw InputError(dir + ": " + std::to_string(class_dirs.size()) +
                       " subfolders (classes); at most 256 are supported (labels are bytes)");
    }
    scan.loose = static_cast<int64_t>(loose.size());
    for (size_t c = 0; c < class_dirs.size(); ++c) {
      scan.classes.push_back(class_dirs[c].filename().string());
      for (const fs::path& file : images_below(class_dirs[c], folders)) {
        files.push_back(file);
        scan.labels.push_back(static_cast<uint8_t>(c));
      }
    }
  }
  for (const fs::path& file : files) {
    scan.files.push_back(file.string());
    scan.sizes.push_back(static_cast<uint64_t>(fs::file_size(file, ec)));
    if (ec) throw InputError(file.string() + ": cannot read its size (" + ec.message() + ")");
    const auto time = fs::last_write_time(file, ec);
    if (ec) throw InputError(file.string() + ": cannot read its time (" + ec.message() + ")");
    scan.times.push_back(static_cast<int64_t>(time.time_since_epoch().count()));
  }
  scan.unfollowed = folders.unfollowed();
  return scan;
}

Dataset load_image_folder(const std::string& dir, const ImageOptions& options) {
  if (options.channels != 1 && options.channels != 3) {
    throw InputError("--channels " + std::to_string(options.channels) + ": 1 (grey) or 3 (RGB)");
  }
  if (options.image_size < 4 || options.image_size > 1024) {
    throw InputError("--image-size " + std::to_string(options.image_size) + ": an integer in 4..1024");
  }
  const ImageFolderScan scan = scan_image_folder(dir);
  if (scan.files.empty()) throw InputError(dir + ": no PNG or JPEG files in this folder or its subfolders");
  for (const std::string& link : scan.unfollowed) std::fprintf(stderr, "gan: %s\n", link.c_str());
  if (scan.loose > 0) {
    std::fprintf(stderr, "gan: %s: %lld image(s) directly in the folder are not used: with subfolders, each subfolder is a class\n",
                 dir.c_str(), static_cast<long long>(scan.loose));
  }
  const int size = options.image_size, channels = options.channels;
  const size_t per_image = static_cast<size_t>(size) * size * channels;
  const double needed = static_cast<double>(scan.files.size()) * per_image;
  const double available = available_memory_bytes();
  if (available > 0 && needed > available) {
    throw InputError(dir + ": " + std::to_string(scan.files.size()) + " images of " + std::to_string(size) + "x" +
                     std::to_string(size) + " need " + format_bytes(needed) + " in memory, and " +
                     format_bytes(available) + " is available (use a smaller --image-size, or fewer images)");
  }

  Dataset d;
  d.images_path = dir;
  d.labels_path = scan.labels.empty() ? "" : dir;
  d.classes = scan.classes;
  d.name = fs::path(dir).lexically_normal().filename().string();
  if (d.name.empty()) d.name = fs::path(dir).lexically_normal().parent_path().filename().string();
  if (d.name.empty() || d.name == "." || d.name == "..") d.name = "data";
  const uint64_t key = cache_key(fs::path(dir), scan, options);
  const std::string cache_path = (fs::path(dir) / (".gan-cache-" + hex(key) + ".bin")).string();
  std::error_code ec;
  if (fs::exists(cache_path, ec)) {
    int64_t skipped = 0;
    if (decode_cache(read_whole_file(cache_path), key, size, channels, &d, &skipped)) {
      if (skipped > 0) {
        std::fprintf(stderr, "gan: %s: %lld file(s) were skipped when this cache was made (not decodable)\n",
                     dir.c_str(), static_cast<long long>(skipped));
      }
      return d;
    }
    std::fprintf(stderr, "gan: %s: the cache is damaged; decoding the images again\n", cache_path.c_str());
  }

  // Decode every file in chunks (a progress report after each), each chunk in parallel.
  const size_t total = scan.files.size();
  std::vector<uint8_t> pixels(total * per_image);
  std::vector<std::string> failures(total);
  // A failure other than an undecodable file (a read error, memory): the result is not cached,
  // so that the next run tries that file again.
  std::atomic<bool> transient{false};
  DecodeProgress progress(options.progress, total, dir);
  const size_t chunk = 2048;
  for (size_t begin = 0; begin < total; begin += chunk) {
    const size_t end = std::min(total, begin + chunk);
    parallel_for(end - begin, 16, [&](size_t first, size_t last) {
      for (size_t i = begin + first; i < begin + last; ++i) {
        try {
          const DecodedImage image = decode_image(read_whole_file(scan.files[i]), channels, scan.files[i]);
          // [size, size, channels] interleaved -> [channels, size, size] planes, as the models read.
          const std::vector<uint8_t> square = resize_and_crop(image, size);
          uint8_t* to = pixels.data() + i * per_image;
          const size_t plane = static_cast<size_t>(size) * size;
          for (size_t p = 0; p < plane; ++p) {
            for (int c = 0; c < channels; ++c) to[c * plane + p] = square[p * channels + c];
          }
        } catch (const InputError& e) {  // nothing may leave an OpenMP region
          failures[i] = e.what();
          if (failures[i].empty()) failures[i] = scan.files[i] + ": unreadable";
        } catch (const std::exception& e) {
          transient = true;
          failures[i] = e.what();
          if (failures[i].empty()) failures[i] = scan.files[i] + ": unreadable";
        }
      }
    });
    progress.update(end);
  }
  int64_t skipped = 0;
  for (size_t i = 0; i < total; ++i) {
    if (failures[i].empty()) {
      if (static_cast<size_t>(d.count) != i) {
        std::copy_n(pixels.begin() + static_cast<std::ptrdiff_t>(i * per_image), per_image,
                    pixels.begin() + static_cast<std::ptrdiff_t>(d.count * per_image));
      }
      if (!scan.labels.empty()) d.labels.push_back(scan.labels[i]);
      ++d.count;
    } else {
      ++skipped;
      std::fprintf(stderr, "gan: skipped %s\n", failures[i].c_str());
    }
  }
  if (skipped > 0) {
    std::fprintf(stderr, "gan: %s: %lld of %zu file(s) skipped (not decodable)\n", dir.c_str(),
                 static_cast<long long>(skipped), total);
  }
  if (d.count == 0) throw InputError(dir + ": none of its " + std::to_string(total) + " image file(s) could be decoded");
  pixels.resize(static_cast<size_t>(d.count) * per_image);
  d.pixels = std::move(pixels);
  d.height = d.width = size;
  d.channels = channels;
  if (transient) {
    std::fprintf(stderr, "gan: warning: some files could not be read (above); the decoded images are not cached\n");
    return d;
  }
  try {
    const std::vector<uint8_t> bytes = encode_cache(key, d, channels, skipped, scan.classes);
    write_file_atomically(cache_path, bytes.data(), bytes.size());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gan: warning: the decoded images are not cached (%s); the next run decodes them again\n",
                 e.what());
  }
  return d;
}

}  // namespace gan
