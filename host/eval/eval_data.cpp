#include "eval/eval_data.h"

#include <algorithm>
#include <filesystem>

#include "util/error.h"

namespace gan {

namespace fs = std::filesystem;

namespace {

Dataset empty_like(const Dataset& from, const std::string& name) {
  Dataset d;
  d.name = from.name;
  d.images_path = name;
  d.labels_path = from.labels_path;
  d.height = from.height;
  d.width = from.width;
  d.channels = from.channels;
  d.classes = from.classes;
  return d;
}

void append_image(const Dataset& from, int64_t i, Dataset* to) {
  const int64_t pixels = from.pixels_per_image();
  to->pixels.insert(to->pixels.end(), from.pixels.begin() + i * pixels, from.pixels.begin() + (i + 1) * pixels);
  if (!from.labels.empty()) to->labels.push_back(from.labels[static_cast<size_t>(i)]);
  ++to->count;
}

Dataset take_rows(const Dataset& from, int64_t first, int64_t count, const std::string& name) {
  Dataset d = empty_like(from, name);
  for (int64_t i = first; i < first + count; ++i) append_image(from, i, &d);
  return d;
}

// Every fifth image (index 4, 9, ...) when `held_out`, the others when not: an image folder's
// images come grouped by class (or, flat, by name, which often groups them too), so its last
// 20% would hold the last classes only.
Dataset take_every_fifth(const Dataset& from, bool held_out, const std::string& name) {
  Dataset d = empty_like(from, name);
  for (int64_t i = 0; i < from.count; ++i) {
    if ((i % 5 == 4) == held_out) append_image(from, i, &d);
  }
  return d;
}

}  // namespace

EvalData load_eval_data(const std::string& data, const ImageOptions& images) {
  EvalData eval;
  Dataset train = load_dataset(data, "train", images);
  bool has_test = true;
  try {
    find_idx_files(data, "t10k");
  } catch (const Error&) {
    has_test = false;
  }
  if (has_test) {
    eval.held_out = load_dataset(data, "t10k");
    if (!train.labels.empty() && eval.held_out.labels.empty()) {
      throw InputError(eval.held_out.images_path + ": no labels file beside it, but " + train.images_path +
                       " has labels; the evaluation classifier measures its accuracy on labelled held-out images");
    }
    if (train.labels.empty()) eval.held_out.labels.clear();  // the rotation task uses no labels
    if (eval.held_out.height != train.height || eval.held_out.width != train.width) {
      throw InputError(eval.held_out.images_path + ": images of another size than " + train.images_path);
    }
    eval.train = std::move(train);
    eval.description = "train " + eval.train.images_path + ", held out " + eval.held_out.images_path;
    return eval;
  }
  const int64_t held = std::max<int64_t>(1, train.count / 5);
  if (train.count - held < 10) {
    throw InputError(train.images_path + ": " + std::to_string(train.count) +
                     (train.count == 1 ? " image" : " images") +
                     ", too few to train an evaluation network (at least 12: 10 to train, the rest held out)");
  }
  std::error_code ec;
  if (fs::is_directory(train.images_path, ec)) {  // an image folder (IDX data names its images file)
    eval.held_out = take_every_fifth(train, true, train.images_path + " (every fifth image)");
    eval.train = take_every_fifth(train, false, train.images_path + " (the other images)");
    eval.description = "every fifth image of " + train.images_path + " held out (" +
                       std::to_string(eval.held_out.count) + "), the other " + std::to_string(eval.train.count) +
                       " to train";
    return eval;
  }
  eval.held_out = take_rows(train, train.count - held, held, train.images_path + " (last 20%)");
  eval.train = take_rows(train, 0, train.count - held, train.images_path + " (first 80%)");
  eval.description = "the first " + std::to_string(eval.train.count) + " images of " + train.images_path +
                     " to train, the last " + std::to_string(held) + " held out";
  return eval;
}

}  // namespace gan
