#include "eval/classifier.h"

#include <zlib.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "io/safetensors.h"
#include "model/random_streams.h"
#include "util/error.h"
#include "util/files.h"

namespace gan {

namespace fs = std::filesystem;

namespace {

// Bump when the recipe changes: cached classifiers of another recipe are then retrained.
constexpr const char* kRecipe = "cnn-c32-c64-f256-leaky0.01-adam1e-3-decay-b128-shift2-v3";
constexpr int64_t kBatch = 128;
constexpr uint64_t kSeed = 20261126;

// About 1,000 to 2,500 updates: enough for MNIST-10k's 8,000 digits and Fashion's 60,000.
int64_t epochs_for(int64_t train_count) { return train_count <= 20000 ? 18 : 6; }

std::string checksum_key(const EvalData& data) {
  uLong crc = crc32(0L, Z_NULL, 0);
  for (const Dataset* d : {&data.train, &data.held_out}) {
    crc = crc32(crc, d->pixels.data(), static_cast<uInt>(d->pixels.size()));
    crc = crc32(crc, d->labels.data(), static_cast<uInt>(d->labels.size()));
  }
  crc = crc32(crc, reinterpret_cast<const Bytef*>(kRecipe), static_cast<uInt>(std::string(kRecipe).size()));
  char text[64];
  std::snprintf(text, sizeof text, "%08lx-%lld-%lld", static_cast<unsigned long>(crc),
                static_cast<long long>(data.train.count), static_cast<long long>(data.held_out.count));
  return text;
}

Dataset take_rows(const Dataset& from, int64_t first, int64_t count, const std::string& name) {
  Dataset d;
  d.name = from.name;
  d.images_path = name;
  d.labels_path = from.labels_path;
  d.count = count;
  d.height = from.height;
  d.width = from.width;
  const int64_t pixels = from.pixels_per_image();
  d.pixels.assign(from.pixels.begin() + first * pixels, from.pixels.begin() + (first + count) * pixels);
  d.labels.assign(from.labels.begin() + first, from.labels.begin() + first + count);
  return d;
}

// Every fifth image (index 4, 9, ...) when `held_out`, the others when not: an image folder's
// images come grouped by class, so its last 20% would hold the last classes only.
Dataset take_every_fifth(const Dataset& from, bool held_out, const std::string& name) {
  Dataset d;
  d.name = from.name;
  d.images_path = name;
  d.labels_path = from.labels_path;
  d.height = from.height;
  d.width = from.width;
  const int64_t pixels = from.pixels_per_image();
  for (int64_t i = 0; i < from.count; ++i) {
    if ((i % 5 == 4) != held_out) continue;
    d.pixels.insert(d.pixels.end(), from.pixels.begin() + i * pixels, from.pixels.begin() + (i + 1) * pixels);
    d.labels.push_back(from.labels[static_cast<size_t>(i)]);
    ++d.count;
  }
  return d;
}

int64_t class_count(const Dataset& d) {
  int64_t most = 0;
  for (uint8_t l : d.labels) most = std::max<int64_t>(most, l);
  return most + 1;
}


// One shifted copy of `image` (h x w bytes), by (dx, dy) pixels, zero filled, normalised.
void shifted(const uint8_t* image, int h, int w, int dx, int dy, float* out) {
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const int sx = x - dx, sy = y - dy;
      const uint8_t p = (sx >= 0 && sx < w && sy >= 0 && sy < h) ? image[sy * w + sx] : 0;
      out[y * w + x] = (static_cast<float>(p) / 255.0f - 0.5f) / 0.5f;
    }
  }
}

double accuracy_of(const Classifier& c, const Dataset& d) {
  const std::vector<float> images = normalize_images(d.pixels.data(), d.count * d.pixels_per_image());
  std::vector<float> features, probabilities;
  c.run(images.data(), d.count, &features, &probabilities);
  int64_t right = 0;
  for (int64_t i = 0; i < d.count; ++i) {
    const float* row = probabilities.data() + i * c.classes;
    right += (std::max_element(row, row + c.classes) - row) == d.labels[i] ? 1 : 0;
  }
  return static_cast<double>(right) / static_cast<double>(d.count);
}

}  // namespace

std::vector<float> normalize_images(const uint8_t* pixels, int64_t count) {
  std::vector<float> out(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) out[i] = (static_cast<float>(pixels[i]) / 255.0f - 0.5f) / 0.5f;
  return out;
}

EvalData load_eval_data(const std::string& data, const ImageOptions& images) {
  if (images.channels != 1) {
    throw InputError("gan eval: colour images (--channels " + std::to_string(images.channels) +
                     ") are not measured yet: its classifier, Frechet distance and precision/recall work on grey "
                     "images; train on the same data with --channels 1 to measure it");
  }
  EvalData eval;
  Dataset train = load_dataset(data, "train", images);
  if (train.labels.empty()) {
    throw InputError(train.images_path + ": no labels file beside it; the evaluation classifier learns from labels");
  }
  bool has_test = true;
  try {
    find_idx_files(data, "t10k");
  } catch (const Error&) {
    has_test = false;
  }
  if (has_test) {
    eval.held_out = load_dataset(data, "t10k");
    if (eval.held_out.labels.empty()) throw InputError(eval.held_out.images_path + ": no labels file beside it");
    if (eval.held_out.height != train.height || eval.held_out.width != train.width) {
      throw InputError(eval.held_out.images_path + ": images of another size than " + train.images_path);
    }
    eval.train = std::move(train);
    eval.description = "train " + eval.train.images_path + ", held out " + eval.held_out.images_path;
  } else {
    const int64_t held = std::max<int64_t>(1, train.count / 5);
    if (train.count - held < 10) throw InputError(train.images_path + ": too few images to train an evaluation classifier");
    if (!train.classes.empty()) {  // an image folder, grouped by class
      eval.held_out = take_every_fifth(train, true, train.images_path + " (every fifth image)");
      eval.train = take_every_fifth(train, false, train.images_path + " (the other images)");
      eval.description = "every fifth image of " + train.images_path + " held out (" + std::to_string(eval.held_out.count) +
                         "), the other " + std::to_string(eval.train.count) + " to train";
      return eval;
    }
    eval.held_out = take_rows(train, train.count - held, held, train.images_path + " (last 20%)");
    eval.train = take_rows(train, 0, train.count - held, train.images_path + " (first 80%)");
    eval.description = "the first " + std::to_string(eval.train.count) + " images of " + train.images_path +
                       " to train, the last " + std::to_string(held) + " held out";
  }
  return eval;
}

void Classifier::run(const float* images, int64_t n, std::vector<float>* features,
                     std::vector<float>* probabilities) const {
  const int64_t f = feature_size();
  features->resize(static_cast<size_t>(n * f));
  probabilities->resize(static_cast<size_t>(n * classes));
  const int64_t chunk = 256;
  CnnPass<float> pass;
  const int64_t pixels = layout.height * layout.width;
  for (int64_t first = 0; first < n; first += chunk) {
    const int64_t count = std::min(chunk, n - first);
    cnn_forward(layout, params.data(), images + first * pixels, count, &pass);
    std::copy(pass.features.begin(), pass.features.end(), features->begin() + first * f);
    const float* logits = pass.logits.data();
    for (int64_t r = 0; r < count; ++r) {
      const float* row = logits + r * classes;
      const float top = *std::max_element(row, row + classes);
      double sum = 0;
      for (int64_t c = 0; c < classes; ++c) sum += std::exp(static_cast<double>(row[c] - top));
      for (int64_t c = 0; c < classes; ++c) {
        (*probabilities)[(first + r) * classes + c] = static_cast<float>(std::exp(static_cast<double>(row[c] - top)) / sum);
      }
    }
  }
}

Classifier train_classifier(const EvalData& data, std::FILE* log) {
  const Dataset& train = data.train;
  if (train.height < 4 || train.width < 4) {
    throw InputError(train.images_path + ": images of " + std::to_string(train.height) + "x" + std::to_string(train.width) +
                "; the evaluation classifier needs at least 4x4 (two 2x2 poolings)");
  }
  Classifier c;
  c.classes = std::max(class_count(train), class_count(data.held_out));
  c.layout = make_cnn_layout(train.height, train.width, c.classes);
  c.params.resize(c.layout.parameter_count);
  init_tensors(c.layout.tensors, c.layout.parameter_count, 2, kSeed, c.params.data());
  c.key = checksum_key(data);
  std::vector<float> grads(c.params.size()), m(c.params.size(), 0.0f), v(c.params.size(), 0.0f);
  // Adam at 1e-3, then 1e-4 for the last third of the epochs (the decay is worth about half a
  // point of held-out accuracy on MNIST-10k).
  AdamSettings adam{1e-3, 0.9, 0.999, 1e-8};
  const int64_t pixels = train.pixels_per_image(), epochs = epochs_for(train.count);
  std::vector<float> batch(static_cast<size_t>(kBatch * pixels)), dlogits(static_cast<size_t>(kBatch * c.classes));
  std::vector<uint8_t> labels(kBatch);
  CnnPass<float> pass;
  int64_t step = 0;
  for (int64_t epoch = 0; epoch < epochs; ++epoch) {
    if (3 * epoch >= 2 * epochs) adam.lr = 1e-4;
    const auto order = epoch_permutation(kSeed, epoch, static_cast<uint32_t>(train.count));
    double loss_sum = 0;
    int64_t batches = 0;
    for (int64_t first = 0; first + kBatch <= train.count; first += kBatch) {
      for (int64_t i = 0; i < kBatch; ++i) {
        const uint32_t index = order[first + i];
        const uint32_t bits = random_bits(kSeed, RandomPurpose::kEvaluation, static_cast<uint64_t>(epoch), index);
        shifted(train.pixels.data() + index * pixels, train.height, train.width, static_cast<int>(bits % 5) - 2,
                static_cast<int>((bits >> 8) % 5) - 2, batch.data() + i * pixels);
        labels[i] = train.labels[index];
      }
      cnn_forward(c.layout, c.params.data(), batch.data(), kBatch, &pass);
      loss_sum += softmax_cross_entropy(pass.logits.data(), labels.data(), kBatch, c.classes, dlogits.data());
      cnn_backward(c.layout, c.params.data(), pass, dlogits.data(), grads.data());
      adam_update(c.params.data(), grads.data(), m.data(), v.data(), c.params.size(), adam, ++step);
      ++batches;
    }
    if (log && ((epoch + 1) % 5 == 0 || epoch + 1 == epochs)) {
      std::fprintf(log, "training the evaluation classifier: epoch %lld/%lld, loss %.4f\n",
                   static_cast<long long>(epoch + 1), static_cast<long long>(epochs),
                   loss_sum / std::max<int64_t>(batches, 1));
      std::fflush(log);
    }
  }
  c.held_out_accuracy = accuracy_of(c, data.held_out);
  if (log) std::fprintf(log, "evaluation classifier: held-out accuracy %.2f%% (%s)\n", 100 * c.held_out_accuracy,
                        data.description.c_str());
  return c;
}

Classifier load_or_train_classifier(const EvalData& data, const std::string& cache_dir, std::FILE* log) {
  std::string folder = cache_dir;
  if (folder.empty()) {
    if (const char* env = std::getenv("GAN_CACHE_DIR")) folder = env;
    else if (const char* xdg = std::getenv("XDG_CACHE_HOME")) folder = std::string(xdg) + "/gan";
    else if (const char* home = std::getenv("HOME")) folder = std::string(home) + "/.cache/gan";
    else folder = ".gan-cache";
  }
  const std::string key = checksum_key(data);
  const std::string path = (fs::path(folder) / ("classifier-" + key + ".safetensors")).string();
  const int64_t classes = std::max(class_count(data.train), class_count(data.held_out));
  std::error_code ec;
  if (fs::exists(path, ec)) {
    const SafetensorsFile file = read_safetensors(path);
    Classifier c;
    c.classes = classes;
    c.layout = make_cnn_layout(data.train.height, data.train.width, classes);
    c.params.assign(c.layout.parameter_count, 0.0f);
    for (const auto& t : c.layout.tensors) {
      const StoredTensor& stored = file.get(t.name, t.shape);
      std::copy(stored.data.begin(), stored.data.end(), c.params.begin() + static_cast<std::ptrdiff_t>(t.offset));
    }
    c.key = key;
    c.held_out_accuracy = std::stod(file.metadata.at("held_out_accuracy"));
    if (log) std::fprintf(log, "evaluation classifier: cached %s (held-out accuracy %.2f%%)\n", path.c_str(),
                          100 * c.held_out_accuracy);
    return c;
  }
  Classifier c = train_classifier(data, log);
  ensure_directory(folder);
  std::vector<TensorView> views;
  for (const auto& t : c.layout.tensors) views.push_back({t.name, t.shape, c.params.data() + t.offset});
  char accuracy[32];
  std::snprintf(accuracy, sizeof accuracy, "%.6f", c.held_out_accuracy);
  write_safetensors(path, views, {{"recipe", kRecipe}, {"held_out_accuracy", accuracy}, {"data", data.description}});
  if (log) std::fprintf(log, "evaluation classifier: cached in %s\n", path.c_str());
  return c;
}

}  // namespace gan
