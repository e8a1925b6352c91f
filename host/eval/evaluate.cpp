#include "eval/evaluate.h"

#include <algorithm>
#include <cmath>

#include "cpu/generate.h"
#include "cpu/mlp.h"
#include "eval/metrics.h"
#include "io/png.h"
#include "model/random_streams.h"
#include "util/error.h"

namespace gan {

using nlohmann::json;

namespace {

// The generator's images as bytes: exactly what a user would get by saving the samples and
// loading them as data.
// labels [n]: the classes a conditional generator draws; null for an unconditional one.
std::vector<uint8_t> generated_bytes(const ModelSpec& spec, const NetworkState& generator, float mean, float std,
                                    int64_t n, uint64_t seed, const int32_t* labels) {
  const int64_t pixels = spec.image_size(), chunk = 1024;
  std::vector<uint8_t> bytes(static_cast<size_t>(n * pixels));
  std::vector<float> z;
  std::vector<float> images;
  for (int64_t first = 0; first < n; first += chunk) {
    const int64_t count = std::min(chunk, n - first);
    z.resize(static_cast<size_t>(count * spec.latent_dim));
    for (int64_t e = 0; e < count * spec.latent_dim; ++e) {
      z[e] = random_normal(seed, RandomPurpose::kEvaluation, 1, static_cast<uint64_t>(first * spec.latent_dim + e));
    }
    images.resize(static_cast<size_t>(count * pixels));
    generate_images(spec, generator, z.data(), labels ? labels + first : nullptr, count, images.data());
    for (int64_t i = 0; i < count * pixels; ++i) bytes[first * pixels + i] = to_pixel(images[i], mean, std);
  }
  return bytes;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

double mean_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0.0 : s / static_cast<double>(v.size());
}

}  // namespace

void check_generator_shape(const ModelSpec& spec, int64_t channels, int64_t height, int64_t width,
                           const std::string& data_path) {
  if (spec.channels == channels && spec.image_height == height && spec.image_width == width) return;
  auto shape = [](int64_t c, int64_t h, int64_t w) {
    return std::to_string(h) + "x" + std::to_string(w) + (c == 1 ? " grey" : " colour");
  };
  throw InputError("--data " + data_path + ": images of " + shape(channels, height, width) +
                   ", but the generator makes " + shape(spec.channels, spec.image_height, spec.image_width) +
                   ": evaluate on the data it was trained on, with the same --image-size and --channels");
}

int64_t evaluation_count(const EvalData& data, const EvalOptions& options) {
  const int64_t pool = data.train.count + data.held_out.count;
  return std::max<int64_t>(2, std::min(options.n, pool / 2));
}

json evaluate_generator(const ModelSpec& spec, const NetworkState& generator, float norm_mean,
                        float norm_std, const EvalData& data, const Classifier& classifier, const EvalOptions& options) {
  const CnnLayout& net = classifier.layout;
  check_generator_shape(spec, net.channels, net.height, net.width, data.train.images_path);
  const int64_t n = evaluation_count(data, options);
  // A conditional generator draws every class equally often: image i asks for class i mod classes.
  std::vector<int32_t> asked;
  if (spec.conditional()) {
    if (classifier.task == FeatureTask::kClasses && spec.classes != classifier.classes) {
      throw InputError("the generator draws " + std::to_string(spec.classes) + " classes, the evaluation data has " +
                       std::to_string(classifier.classes) + ": evaluate on the data it was trained on");
    }
    for (int64_t i = 0; i < n; ++i) asked.push_back(static_cast<int32_t>(i % spec.classes));
  }
  const auto bytes = generated_bytes(spec, generator, norm_mean, norm_std, n, options.seed,
                                     asked.empty() ? nullptr : asked.data());
  return evaluate_images(bytes.data(), n, asked.empty() ? nullptr : asked.data(), data, classifier, options);
}

json evaluate_images(const uint8_t* generated, int64_t n, const int32_t* asked, const EvalData& data,
                     const Classifier& classifier, const EvalOptions& options) {
  const int64_t pixels = classifier.layout.image_size();
  const bool classes = classifier.task == FeatureTask::kClasses;
  const int64_t pool = data.train.count + data.held_out.count;
  if (n < 2 || 2 * n > pool) {
    throw InputError("evaluating " + std::to_string(n) + " images needs two disjoint real sets of as many, but " +
                     data.train.images_path + " holds " + std::to_string(pool) + " images");
  }

  // Two disjoint real sets of n images, drawn from all the real images in a fixed order.
  const auto order = epoch_permutation(20261126, 1, static_cast<uint32_t>(pool));
  std::vector<uint8_t> real_bytes_a(static_cast<size_t>(n * pixels)), real_bytes_b(static_cast<size_t>(n * pixels));
  auto image_at = [&](uint32_t index) {
    return index < data.train.count ? data.train.pixels.data() + static_cast<size_t>(index) * pixels
                                    : data.held_out.pixels.data() + static_cast<size_t>(index - data.train.count) * pixels;
  };
  for (int64_t i = 0; i < n; ++i) {
    std::copy(image_at(order[i]), image_at(order[i]) + pixels, real_bytes_a.begin() + i * pixels);
    std::copy(image_at(order[n + i]), image_at(order[n + i]) + pixels, real_bytes_b.begin() + i * pixels);
  }
  const auto real_a = normalize_images(real_bytes_a.data(), n * pixels);
  const auto real_b = normalize_images(real_bytes_b.data(), n * pixels);
  const auto fake = normalize_images(generated, n * pixels);

  std::vector<float> f_real_a, p_real_a, f_real_b, p_real_b, f_fake, p_fake;
  classifier.run(real_a.data(), n, &f_real_a, &p_real_a);
  classifier.run(real_b.data(), n, &f_real_b, &p_real_b);
  classifier.run(fake.data(), n, &f_fake, &p_fake);
  const int64_t d = classifier.feature_size(), c = classifier.classes;

  const Moments m_real_a = feature_moments(f_real_a.data(), n, d);
  const double fd = frechet_distance(feature_moments(f_fake.data(), n, d), m_real_a);
  const double floor = frechet_distance(feature_moments(f_real_b.data(), n, d), m_real_a);
  const PrecisionRecall pr = precision_recall(f_real_a.data(), n, f_fake.data(), n, d, options.k);

  // Copy check in pixel space against the network's training images.
  const int64_t copies = std::min({options.copy_check, n, data.held_out.count});
  const auto train_images = normalize_images(data.train.pixels.data(), data.train.count * pixels);
  const auto held_images = normalize_images(data.held_out.pixels.data(), copies * pixels);
  const auto fake_to_train = nearest_distances(fake.data(), copies, train_images.data(), data.train.count, pixels);
  const auto held_to_train = nearest_distances(held_images.data(), copies, train_images.data(), data.train.count, pixels);

  json report = {{"n", n},
          {"fd", fd},
          {"fd_real_floor", floor},
          {"precision", pr.precision},
          {"recall", pr.recall},
          {"k", options.k},
          {"copy_check",
           {{"images", copies},
            {"generated_to_train_median", median(fake_to_train)},
            {"generated_to_train_min", *std::min_element(fake_to_train.begin(), fake_to_train.end())},
            {"held_out_to_train_median", median(held_to_train)},
            {"held_out_to_train_min", *std::min_element(held_to_train.begin(), held_to_train.end())},
            {"generated_to_train_mean", mean_of(fake_to_train)},
            {"held_out_to_train_mean", mean_of(held_to_train)}}},
          {"network", classifier.describe()},
          {"network_task", classes ? "classes" : "rotation"},
          {"network_outputs", c},
          {"classifier_accuracy", classifier.held_out_accuracy},
          {"classifier_key", classifier.key},
          {"data", data.description}};
  // The class-based numbers need a network that knows the data's classes; a rotation network's
  // outputs are quarter turns, whose histogram says nothing about the generator's variety.
  if (classes) {
    const auto hist_fake = class_histogram(p_fake.data(), n, c), hist_real = class_histogram(p_real_a.data(), n, c);
    int64_t above = 0;
    for (double h : hist_fake) above += h > 0.01 ? 1 : 0;
    report["classifier_score"] = classifier_score(p_fake.data(), n, c);
    report["classifier_score_real"] = classifier_score(p_real_a.data(), n, c);
    report["histogram"] = hist_fake;
    report["histogram_real"] = hist_real;
    report["classes_above_1pct"] = above;
    report["class_kl"] = histogram_kl(hist_fake, hist_real);
    if (asked) {
      const ConditionalAccuracy accuracy = conditional_accuracy(p_fake.data(), asked, n, c);
      report["conditional_accuracy"] = accuracy.overall;
      report["conditional_accuracy_per_class"] = accuracy.per_class;
    }
  }
  return report;
}

void print_eval_table(const json& r, std::FILE* out) {
  const json& copy = r["copy_check"];
  const bool classes = r.value("network_task", "classes") == "classes";
  std::fprintf(out, "measured with: %s, held-out %s accuracy %.2f%%\n",
               r.value("network", std::string("domain classifier")).c_str(), classes ? "class" : "rotation",
               100 * r["classifier_accuracy"].get<double>());
  // A network barely better than chance learned little about the data (a rotation network on
  // images that look alike in every turn, say): its features then measure colours and textures
  // more than objects, and the user should know before trusting FD.
  const double accuracy = r["classifier_accuracy"].get<double>(), chance = 1.0 / r.value("network_outputs", 2.0);
  if (accuracy < 1.5 * chance) {
    std::fprintf(out, "warning: that is near chance (%.0f%%): its features see colours and textures "
                      "more than the objects\n", 100 * chance);
  }
  std::fprintf(out, "%-34s %12s   %s\n", "metric", "generated", "reference");
  std::fprintf(out, "%-34s %12.3f   %.3f  (real vs real, the floor at n = %lld)\n", "Frechet distance (features)",
               r["fd"].get<double>(), r["fd_real_floor"].get<double>(), r["n"].get<long long>());
  if (classes) {
    std::fprintf(out, "%-34s %12.3f   %.3f  (real images)\n", "classifier score", r["classifier_score"].get<double>(),
                 r["classifier_score_real"].get<double>());
    std::fprintf(out, "%-34s %12lld   %zu\n", "classes above 1%", r["classes_above_1pct"].get<long long>(),
                 r["histogram_real"].size());
    std::fprintf(out, "%-34s %12.4f   0  (real)\n", "KL(class histogram || real)", r["class_kl"].get<double>());
  }
  if (r.contains("conditional_accuracy")) {
    std::fprintf(out, "%-34s %12.3f   %.3f  (the classifier on held-out real images)\n",
                 "conditional accuracy", r["conditional_accuracy"].get<double>(), r["classifier_accuracy"].get<double>());
  }
  std::fprintf(out, "%-34s %12.3f\n", "precision (k = 5)", r["precision"].get<double>());
  std::fprintf(out, "%-34s %12.3f\n", "recall (k = 5)", r["recall"].get<double>());
  std::fprintf(out, "%-34s %12.3f   %.3f  (held-out real to train)\n", "nearest training image, median",
               copy["generated_to_train_median"].get<double>(), copy["held_out_to_train_median"].get<double>());
  std::fprintf(out, "%-34s %12.3f   %.3f\n", "nearest training image, min", copy["generated_to_train_min"].get<double>(),
               copy["held_out_to_train_min"].get<double>());
  if (classes) {
    std::fprintf(out, "histogram of generated classes:");
    for (const auto& h : r["histogram"]) std::fprintf(out, " %.3f", h.get<double>());
    std::fprintf(out, "\n");
  } else {
    std::fprintf(out, "no labels: the features are a rotation network's (self-supervised), so there is no class "
                      "histogram or classifier score\n");
  }
  if (r.contains("conditional_accuracy_per_class")) {
    std::fprintf(out, "conditional accuracy per class:");
    for (const auto& a : r["conditional_accuracy_per_class"]) std::fprintf(out, " %.3f", a.get<double>());
    std::fprintf(out, "\n");
  }
}

}  // namespace gan
