#pragma once
// defines: Dataset, ImageOptions, load_dataset, find_idx_files, check_dataset_labels, dataset_classes, gather_normalize
#include <cstdint>
#include <string>
#include <vector>

namespace gan {

// A set of images held as bytes: count x channels x height x width, each image's channels as
// planes (an IDX file's bytes, grey; or an image folder's decoded images, grey or RGB).
struct Dataset {
  std::string name;         // e.g. "mnist": the folder's name, for run names
  std::string images_path;  // where the images came from
  std::string labels_path;  // "" when no labels file was found
  int64_t count = 0;
  int height = 0, width = 0;
  int channels = 1;             // 1 grey, 3 RGB (image folders only)
  std::vector<uint8_t> pixels;  // count * channels * height * width
  std::vector<uint8_t> labels;  // count, or empty
  std::vector<std::string> classes;  // an image folder's class names (its subfolders), index = label

  int64_t pixels_per_image() const { return int64_t{channels} * height * width; }  // bytes per image
};

struct IdxPaths {
  std::string images;
  std::string labels;  // "" if none
};

// Resolves `data` to an images file and (if present) its labels file. `data` may be:
//  - a folder holding the standard names (train-images-idx3-ubyte, train-labels-idx1-ubyte,
//    with or without .gz, or with a dot before idx as some mirrors write them), or such a
//    folder below it at raw/, MNIST/raw/ or FashionMNIST/raw/ (torchvision's layout);
//  - the path of an images file; its labels are looked for beside it by swapping "images"
//    for "labels" and "idx3" for "idx1" in the name.
// `split` is "train" or "t10k". Throws gan::Error listing what was looked for.
IdxPaths find_idx_files(const std::string& data, const std::string& split = "train");

// How images from a folder become training images (IDX data is used as it is).
struct ImageOptions {
  int image_size = 28;   // each image's shorter side resized to this, then centre-cropped square
  int channels = 1;      // 1 (grey) or 3 (RGB)
  bool progress = true;  // a progress line on stderr during the first decode
};

// Loads and checks images (and labels, if found): equal counts, at least one image. A folder
// with no IDX images file but PNG or JPEG files below it is an image folder
// (data/image_folder.h: load_image_folder with `images`).
Dataset load_dataset(const std::string& data, const std::string& split = "train", const ImageOptions& images = {});

// Throws InputError naming the data unless every image has a label in 0 .. classes-1 (what a
// conditional model needs).
void check_dataset_labels(const Dataset& dataset, int64_t classes);

// The number of classes the labels name: the largest label + 1 (0 without labels).
int64_t dataset_classes(const Dataset& dataset);

// out[i, :] = (pixels[indices[i], :] / 255 - mean) / std, as float32, in the same order of
// operations as torchvision's ToTensor + Normalize.
// indices: [count], out: [count, pixels_per_image]
void gather_normalize(const Dataset& dataset, const uint32_t* indices, int64_t count, float mean, float std,
                      float* out);

}  // namespace gan
