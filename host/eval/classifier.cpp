#include "eval/classifier.h"

#include <algorithm>
#include <cmath>

#include "eval/augment.h"
#include "eval/recipe.h"
#include "model/random_streams.h"
#include "util/error.h"

namespace gan {

namespace {

constexpr uint64_t kSeed = 20261126;
constexpr int64_t kTurns = 4;  // the rotation task's classes: 0, 90, 180, 270 degrees

// The held-out views and what the network should answer for each: every image with its class,
// or every image in each of the four turns with the turn.
void held_out_views(const Dataset& d, FeatureTask task, std::vector<float>* images, std::vector<uint8_t>* answers) {
  const int64_t pixels = d.pixels_per_image(), views = task == FeatureTask::kRotation ? kTurns : 1;
  images->resize(static_cast<size_t>(d.count * views * pixels));
  answers->clear();
  for (int64_t i = 0; i < d.count; ++i) {
    for (int64_t turn = 0; turn < views; ++turn) {
      augmented_image(d.pixels.data() + i * pixels, d.channels, d.height, d.width, static_cast<int>(turn), 0, 0,
                      images->data() + (i * views + turn) * pixels);
      answers->push_back(task == FeatureTask::kRotation ? static_cast<uint8_t>(turn) : d.labels[static_cast<size_t>(i)]);
    }
  }
}

double accuracy_of(const Classifier& c, const Dataset& d) {
  std::vector<float> images, features, probabilities;
  std::vector<uint8_t> answers;
  held_out_views(d, c.task, &images, &answers);
  const int64_t n = static_cast<int64_t>(answers.size());
  c.run(images.data(), n, &features, &probabilities);
  int64_t right = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float* row = probabilities.data() + i * c.classes;
    right += (std::max_element(row, row + c.classes) - row) == answers[static_cast<size_t>(i)] ? 1 : 0;
  }
  return static_cast<double>(right) / static_cast<double>(std::max<int64_t>(n, 1));
}

void check_trainable(const EvalData& data) {
  const Dataset& train = data.train;
  if (train.height < 4 || train.width < 4) {
    throw InputError(train.images_path + ": images of " + std::to_string(train.height) + "x" +
                     std::to_string(train.width) + "; the evaluation network needs at least 4x4 (two 2x2 poolings)");
  }
  if (data.held_out.channels != train.channels || data.held_out.height != train.height ||
      data.held_out.width != train.width) {
    throw InputError(data.held_out.images_path + ": held-out images of another shape than " + train.images_path);
  }
  if (data.task() == FeatureTask::kRotation && train.height != train.width) {
    throw InputError(train.images_path + ": images of " + std::to_string(train.height) + "x" +
                     std::to_string(train.width) + " and no labels; the evaluation network for unlabelled data "
                     "learns to tell quarter turns apart, which needs square images (or give the data labels)");
  }
}

}  // namespace

std::vector<float> normalize_images(const uint8_t* pixels, int64_t count) {
  std::vector<float> out(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) out[i] = (static_cast<float>(pixels[i]) / 255.0f - 0.5f) / 0.5f;
  return out;
}

int64_t classifier_outputs(const EvalData& data) {
  if (data.task() == FeatureTask::kRotation) return kTurns;
  return std::max(dataset_classes(data.train), dataset_classes(data.held_out));
}

std::string Classifier::describe() const {
  if (task == FeatureTask::kRotation) return "rotation network (4 quarter turns, self-supervised)";
  return "domain classifier on " + std::to_string(classes) + " classes";
}

void Classifier::run(const float* images, int64_t n, std::vector<float>* features,
                     std::vector<float>* probabilities) const {
  const int64_t f = feature_size();
  features->resize(static_cast<size_t>(n * f));
  probabilities->resize(static_cast<size_t>(n * classes));
  const int64_t chunk = 256;
  CnnPass<float> pass;
  const int64_t pixels = layout.image_size();
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
  check_trainable(data);
  const Dataset& train = data.train;
  const ClassifierRecipe recipe = classifier_recipe(data);
  Classifier c;
  c.task = data.task();
  c.classes = classifier_outputs(data);
  c.layout = make_cnn_layout(train.height, train.width, c.classes, train.channels);
  c.params.resize(c.layout.parameter_count);
  init_tensors(c.layout.tensors, c.layout.parameter_count, 2, kSeed, c.params.data());
  c.key = classifier_key(data);
  std::vector<float> grads(c.params.size()), m(c.params.size(), 0.0f), v(c.params.size(), 0.0f);
  // Adam at 1e-3, then 1e-4 for the last third of the epochs (the decay is worth about half a
  // point of held-out accuracy on MNIST-10k).
  AdamSettings adam{1e-3, 0.9, 0.999, 1e-8};
  // The rotation task puts all four turns of an image in the same batch, as Gidaris et al. found
  // best: the network must tell the turns of one image apart, not learn which images tend to lie.
  const int64_t views = c.task == FeatureTask::kRotation ? kTurns : 1;
  const int64_t batch = std::min(recipe.batch, train.count * views) / views * views, images_per_batch = batch / views;
  const int64_t pixels = train.pixels_per_image();
  std::vector<float> inputs(static_cast<size_t>(batch * pixels)), dlogits(static_cast<size_t>(batch * c.classes));
  std::vector<uint8_t> answers(static_cast<size_t>(batch));
  CnnPass<float> pass;
  int64_t step = 0;
  if (log) {  // the first line of work that can take minutes (MNIST-10k's grey classifier: about 3)
    std::fprintf(log, "training the evaluation %s on %lld images (%lld epochs, batch %lld); it is cached afterwards\n",
                 c.describe().c_str(), static_cast<long long>(train.count), static_cast<long long>(recipe.epochs),
                 static_cast<long long>(batch));
    std::fflush(log);
  }
  for (int64_t epoch = 0; epoch < recipe.epochs; ++epoch) {
    if (3 * epoch >= 2 * recipe.epochs) adam.lr = 1e-4;
    const auto order = epoch_permutation(kSeed, epoch, static_cast<uint32_t>(train.count));
    double loss_sum = 0;
    int64_t batches = 0;
    for (int64_t first = 0; first + images_per_batch <= train.count; first += images_per_batch) {
      for (int64_t i = 0; i < images_per_batch; ++i) {
        const uint32_t index = order[first + i];
        for (int64_t turn = 0; turn < views; ++turn) {
          // One draw per view: with one view (the grey classifier) exactly the first recipe's shifts.
          const uint64_t view = views == 1 ? index : index * kTurns + static_cast<uint64_t>(turn);
          const uint32_t bits = random_bits(kSeed, RandomPurpose::kEvaluation, static_cast<uint64_t>(epoch), view);
          const int64_t row = i * views + turn;
          augmented_image(train.pixels.data() + index * pixels, train.channels, train.height, train.width,
                          static_cast<int>(turn), static_cast<int>(bits % 5) - 2, static_cast<int>((bits >> 8) % 5) - 2,
                          inputs.data() + row * pixels);
          answers[static_cast<size_t>(row)] = c.task == FeatureTask::kRotation ? static_cast<uint8_t>(turn) : train.labels[index];
        }
      }
      cnn_forward(c.layout, c.params.data(), inputs.data(), batch, &pass);
      loss_sum += softmax_cross_entropy(pass.logits.data(), answers.data(), batch, c.classes, dlogits.data());
      cnn_backward(c.layout, c.params.data(), pass, dlogits.data(), grads.data());
      adam_update(c.params.data(), grads.data(), m.data(), v.data(), c.params.size(), adam, ++step);
      ++batches;
    }
    // Every epoch when there are few (large data sets: each may take minutes), else every fifth.
    if (log && (recipe.epochs <= 6 || (epoch + 1) % 5 == 0 || epoch + 1 == recipe.epochs)) {
      std::fprintf(log, "training the evaluation %s: epoch %lld/%lld, loss %.4f\n", c.describe().c_str(),
                   static_cast<long long>(epoch + 1), static_cast<long long>(recipe.epochs),
                   loss_sum / std::max<int64_t>(batches, 1));
      std::fflush(log);
    }
  }
  c.held_out_accuracy = accuracy_of(c, data.held_out);
  if (log) {
    std::fprintf(log, "evaluation %s: held-out %s accuracy %.2f%% (%s)\n", c.describe().c_str(),
                 c.task == FeatureTask::kRotation ? "rotation" : "class", 100 * c.held_out_accuracy,
                 data.description.c_str());
  }
  return c;
}

}  // namespace gan
