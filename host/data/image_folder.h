#pragma once
// defines: ImageFolderScan, scan_image_folder, holds_images, load_image_folder —
// a folder of PNG and JPEG files as a Dataset: decoded once into a cache beside the data
#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace gan {

// What a folder holds, in torchvision ImageFolder's order: with subfolders, each subfolder of
// the root is a class (classes sorted by name; a class's images sorted by their paths, found
// at any depth below it) and images directly in the root are left out (`loose` counts them);
// without subfolders the root's images, sorted, with no labels. Files are kept by extension
// (.png, .jpg, .jpeg, in any case); hidden files and folders (a leading '.') are skipped. Links to
// folders are followed, but each real folder (by device and inode) is read once: a link to the
// image folder or above it (a loop), or to a folder already read by another path (the first in
// name order reads it; every class's own folder counts as read by that class), is not followed
// and is listed in `unfollowed`; a subfolder of the root that is such a link is no class.
struct ImageFolderScan {
  std::vector<std::string> files;    // paths, in the data set's order
  std::vector<uint8_t> labels;       // [files] class indices, or empty (no subfolders)
  std::vector<std::string> classes;  // the subfolders' names, index = label
  std::vector<uint64_t> sizes;       // [files] bytes
  std::vector<int64_t> times;        // [files] modification times (ns since the file clock's epoch)
  int64_t loose = 0;
  // The links to folders that were not followed, sorted, each "LINK: why" (a loop, or a second
  // way to a folder read already): each real folder is read once.
  std::vector<std::string> unfollowed;
};

// Throws InputError naming `dir` when it cannot be read, or holds more than 256 classes.
ImageFolderScan scan_image_folder(const std::string& dir);

// True when `dir` is a folder with at least one PNG or JPEG file below it (at any depth).
bool holds_images(const std::string& dir);

// The folder as a Dataset of `options.channels` (1 grey, 3 RGB) images of image_size x
// image_size, each stored as channel planes. The first load decodes every file (in parallel,
// with a progress line) and writes DIR/.gan-cache-<key>.bin, the key a hash of every file's
// path, size and modification time and of the options; a later load with the same key reads
// the cache instead. A file that cannot be decoded (truncated, empty, not an image, an
// unsupported format) is skipped and named on stderr, with a count; a folder with no usable
// image is an InputError. Each link to a folder that the scan did not follow is named on stderr
// too. The data set's size is checked against the memory available before anything is decoded.
// A cache that cannot be written (a read-only folder) is a warning only.
Dataset load_image_folder(const std::string& dir, const ImageOptions& options);

}  // namespace gan
