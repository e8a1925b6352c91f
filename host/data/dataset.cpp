#include "data/dataset.h"

#include <algorithm>
#include <filesystem>

#include "data/idx.h"
#include "data/image_folder.h"
#include "util/error.h"
#include "util/parallel.h"

namespace gan {

namespace fs = std::filesystem;

namespace {

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

// The first existing file among the standard spellings of `stem` (e.g. "train-images")
// with `kind` ("idx3-ubyte") in `folder`.
std::string find_standard_file(const fs::path& folder, const std::string& stem, const std::string& kind,
                               std::vector<std::string>* tried) {
  for (const std::string& base : {stem + "-" + kind, stem + "." + kind}) {
    for (const char* suffix : {"", ".gz"}) {
      const fs::path candidate = folder / (base + suffix);
      tried->push_back(candidate.string());
      if (is_file(candidate)) return candidate.string();
    }
  }
  return "";
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

}  // namespace

IdxPaths find_idx_files(const std::string& data, const std::string& split) {
  std::error_code ec;
  const fs::path root(data);
  if (!fs::exists(root, ec)) throw InputError(data + ": no such file or folder (see README: Data; tools/setup.sh prepares data/)");
  IdxPaths paths;
  if (fs::is_directory(root, ec)) {
    std::vector<std::string> tried;
    for (const fs::path& folder : {root, root / "raw", root / "MNIST" / "raw", root / "FashionMNIST" / "raw"}) {
      paths.images = find_standard_file(folder, split + "-images", "idx3-ubyte", &tried);
      if (!paths.images.empty()) {
        std::vector<std::string> ignored;
        paths.labels = find_standard_file(folder, split + "-labels", "idx1-ubyte", &ignored);
        return paths;
      }
    }
    std::string list;
    for (const auto& t : tried) list += "\n  " + t;
    throw InputError(data + ": no " + split + "-images IDX file in this folder; looked for:" + list);
  }
  paths.images = data;
  const std::string name = root.filename().string();
  const std::string labels_name = replace_all(replace_all(name, "images", "labels"), "idx3", "idx1");
  if (labels_name != name && is_file(root.parent_path() / labels_name)) {
    paths.labels = (root.parent_path() / labels_name).string();
  }
  return paths;
}

Dataset load_dataset(const std::string& data, const std::string& split, const ImageOptions& image_options) {
  IdxPaths paths;
  try {
    paths = find_idx_files(data, split);
  } catch (const InputError&) {
    if (split == "train" && holds_images(data)) return load_image_folder(data, image_options);
    throw;
  }
  IdxArray images = read_idx_file(paths.images, 3);
  Dataset dataset;
  dataset.images_path = paths.images;
  dataset.count = images.dims[0];
  dataset.height = static_cast<int>(images.dims[1]);
  dataset.width = static_cast<int>(images.dims[2]);
  if (images.dims[1] > 4096 || images.dims[2] > 4096) {
    throw InputError(paths.images + ": images of " + std::to_string(images.dims[1]) + " x " +
                std::to_string(images.dims[2]) + " pixels; at most 4096 x 4096 are supported");
  }
  dataset.pixels = std::move(images.data);
  if (!paths.labels.empty()) {
    IdxArray labels = read_idx_file(paths.labels, 1);
    if (labels.dims[0] != images.dims[0]) {
      throw InputError(paths.labels + ": " + std::to_string(labels.dims[0]) + " labels, but " + paths.images + " holds " +
                  std::to_string(images.dims[0]) + " images; the counts must match");
    }
    dataset.labels = std::move(labels.data);
    dataset.labels_path = paths.labels;
  }
  fs::path named(data);
  if (!fs::is_directory(named)) named = named.parent_path();
  while (!named.empty() && (named.filename() == "raw" || named.filename().empty())) named = named.parent_path();
  dataset.name = named.filename().string();
  if (dataset.name.empty() || dataset.name == "." || dataset.name == "..") dataset.name = "data";
  return dataset;
}

void check_dataset_labels(const Dataset& dataset, int64_t classes) {
  if (dataset.labels.empty()) {
    throw InputError(dataset.images_path + ": a conditional model needs labels, and no labels file was found beside it");
  }
  for (size_t i = 0; i < dataset.labels.size(); ++i) {
    if (dataset.labels[i] >= classes) {
      throw InputError(dataset.labels_path + ": label " + std::to_string(dataset.labels[i]) + " of image " +
                       std::to_string(i) + " is outside the model's classes 0.." + std::to_string(classes - 1));
    }
  }
}

int64_t dataset_classes(const Dataset& dataset) {
  int64_t largest = -1;
  for (uint8_t label : dataset.labels) largest = std::max<int64_t>(largest, label);
  return largest + 1;
}

void gather_normalize(const Dataset& dataset, const uint32_t* indices, int64_t count, float mean, float std,
                      float* out) {
  const int64_t pixels = dataset.pixels_per_image();
  const uint8_t* all = dataset.pixels.data();
  parallel_for(static_cast<size_t>(count), 32, [=](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      const uint8_t* image = all + static_cast<size_t>(indices[i]) * static_cast<size_t>(pixels);
      float* row = out + static_cast<int64_t>(i) * pixels;
      for (int64_t p = 0; p < pixels; ++p) {
        const float unit = static_cast<float>(image[p]) / 255.0f;  // ToTensor
        row[p] = (unit - mean) / std;                               // Normalize
      }
    }
  });
}

}  // namespace gan
