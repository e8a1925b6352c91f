// The evaluation network's cache: one safetensors file per data set and recipe (eval/classifier.h).
#include <zlib.h>

#include <cstdlib>
#include <filesystem>

#include "eval/classifier.h"
#include "eval/recipe.h"
#include "io/safetensors.h"
#include "util/error.h"
#include "util/files.h"

namespace gan {

namespace fs = std::filesystem;

namespace {

std::string cache_folder(const std::string& cache_dir) {
  if (!cache_dir.empty()) return cache_dir;
  if (const char* env = std::getenv("GAN_CACHE_DIR")) return env;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME")) return std::string(xdg) + "/gan";
  if (const char* home = std::getenv("HOME")) return std::string(home) + "/.cache/gan";
  return ".gan-cache";
}

const char* task_name(FeatureTask task) { return task == FeatureTask::kRotation ? "rotation" : "classes"; }

}  // namespace

// The pixels and labels of both splits and the recipe's name, which names the task and the
// input's shape for every kind but the first (grey, labelled; its name, and so its keys, are
// those of the networks cached before the other kinds existed).
std::string classifier_key(const EvalData& data) {
  const std::string recipe = classifier_recipe(data).name;
  uLong crc = crc32(0L, Z_NULL, 0);
  for (const Dataset* d : {&data.train, &data.held_out}) {
    crc = crc32(crc, d->pixels.data(), static_cast<uInt>(d->pixels.size()));
    crc = crc32(crc, d->labels.data(), static_cast<uInt>(d->labels.size()));
  }
  crc = crc32(crc, reinterpret_cast<const Bytef*>(recipe.data()), static_cast<uInt>(recipe.size()));
  char text[64];
  std::snprintf(text, sizeof text, "%08lx-%lld-%lld", static_cast<unsigned long>(crc),
                static_cast<long long>(data.train.count), static_cast<long long>(data.held_out.count));
  return text;
}

Classifier load_or_train_classifier(const EvalData& data, const std::string& cache_dir, std::FILE* log) {
  const std::string folder = cache_folder(cache_dir);
  const std::string key = classifier_key(data);
  const std::string path = (fs::path(folder) / ("classifier-" + key + ".safetensors")).string();
  std::error_code ec;
  if (fs::exists(path, ec)) {
    const SafetensorsFile file = read_safetensors(path);
    Classifier c;
    c.task = data.task();
    c.classes = classifier_outputs(data);
    c.layout = make_cnn_layout(data.train.height, data.train.width, c.classes, data.train.channels);
    // Files written since the rotation task existed say which task they learned; older ones are
    // all grey domain classifiers.
    const auto task = file.metadata.find("task");
    if (task != file.metadata.end() && task->second != task_name(c.task)) {
      throw InputError(path + ": a cached " + task->second + " network where " + task_name(c.task) +
                       " was expected; remove the file and run again");
    }
    c.params.assign(c.layout.parameter_count, 0.0f);
    for (const auto& t : c.layout.tensors) {
      const StoredTensor& stored = file.get(t.name, t.shape);
      std::copy(stored.data.begin(), stored.data.end(), c.params.begin() + static_cast<std::ptrdiff_t>(t.offset));
    }
    c.key = key;
    c.held_out_accuracy = std::stod(file.metadata.at("held_out_accuracy"));
    if (log) {
      std::fprintf(log, "evaluation %s: cached %s (held-out accuracy %.2f%%)\n", c.describe().c_str(), path.c_str(),
                   100 * c.held_out_accuracy);
    }
    return c;
  }
  Classifier c = train_classifier(data, log);
  ensure_directory(folder);
  std::vector<TensorView> views;
  for (const auto& t : c.layout.tensors) views.push_back({t.name, t.shape, c.params.data() + t.offset});
  char accuracy[32];
  std::snprintf(accuracy, sizeof accuracy, "%.6f", c.held_out_accuracy);
  write_safetensors(path, views,
                    {{"recipe", classifier_recipe(data).name},
                     {"task", task_name(c.task)},
                     {"held_out_accuracy", accuracy},
                     {"data", data.description}});
  if (log) std::fprintf(log, "evaluation %s: cached in %s\n", c.describe().c_str(), path.c_str());
  return c;
}

}  // namespace gan
