// gan eval on any image data (issue 31): the feature network's training views (quarter turns,
// shifts), its recipes and cache keys, the evaluation split of unlabelled data, and the proof
// that its Fréchet distance means something on colour images. On tools/make_shapes.py's shapes
// FD grows step by step as real images are blurred, noised or reduced to fewer classes, measured
// by a domain classifier (class folders) and by a rotation network (the same images, flat).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "data/idx.h"
#include "eval/augment.h"
#include "eval/classifier.h"
#include "eval/evaluate.h"
#include "eval/metrics.h"
#include "eval/recipe.h"
#include "io/png.h"
#include "model/random_streams.h"
#include "test_util.h"
#include "util/error.h"

namespace gan {
namespace {

namespace fs = std::filesystem;
using testing::ScratchDir;

TEST(EvalViews, QuarterTurnsAreNumpysRot90AndShiftsFillBlack) {
  // One 3x3 plane 0..8 and a second plane 100..108: rot90 gives [[2,5,8],[1,4,7],[0,3,6]] in each.
  std::vector<uint8_t> image(18);
  for (int i = 0; i < 9; ++i) image[i] = static_cast<uint8_t>(i), image[9 + i] = static_cast<uint8_t>(100 + i);
  auto bytes = [](const std::vector<float>& v) {
    std::vector<int> out;
    for (float x : v) out.push_back(static_cast<int>(std::lround((x * 0.5f + 0.5f) * 255.0f)));
    return out;
  };
  auto first_plane = [&](const std::vector<float>& v) {
    const std::vector<int> all = bytes(v);
    return std::vector<int>(all.begin(), all.begin() + 9);
  };
  std::vector<float> out(18);
  augmented_image(image.data(), 2, 3, 3, 1, 0, 0, out.data());
  EXPECT_EQ(bytes(out), (std::vector<int>{2, 5, 8, 1, 4, 7, 0, 3, 6, 102, 105, 108, 101, 104, 107, 100, 103, 106}));
  augmented_image(image.data(), 2, 3, 3, 3, 0, 0, out.data());  // rot90(k=3) = [[6,3,0],[7,4,1],[8,5,2]]
  EXPECT_EQ(first_plane(out), (std::vector<int>{6, 3, 0, 7, 4, 1, 8, 5, 2}));
  augmented_image(image.data(), 2, 3, 3, 4, 0, 0, out.data());  // four turns: the image itself
  EXPECT_EQ(first_plane(out), (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8}));
  // Shifted one right and one down: the first row and column are black (-1 once normalised).
  augmented_image(image.data(), 2, 3, 3, 0, 1, 1, out.data());
  EXPECT_EQ(bytes(out), (std::vector<int>{0, 0, 0, 0, 0, 1, 0, 3, 4, 0, 0, 0, 0, 100, 101, 0, 103, 104}));
}

TEST(EvalRecipe, GreyLabelledDataKeepsTheFirstRecipeAndOtherKindsNameTheirsAndShape) {
  const ClassifierRecipe mnist = classifier_recipe(FeatureTask::kClasses, 1, 28, 28, 8000);
  EXPECT_EQ(mnist.name, "cnn-c32-c64-f256-leaky0.01-adam1e-3-decay-b128-shift2-v3");  // the cached MNIST networks' name
  EXPECT_EQ(mnist.batch, 128);
  EXPECT_EQ(mnist.epochs, 18);
  EXPECT_EQ(classifier_recipe(FeatureTask::kClasses, 1, 28, 28, 60000).epochs, 6);
  const ClassifierRecipe colour = classifier_recipe(FeatureTask::kClasses, 3, 32, 32, 320);
  const ClassifierRecipe rotation = classifier_recipe(FeatureTask::kRotation, 3, 32, 32, 320);
  const ClassifierRecipe grey_rotation = classifier_recipe(FeatureTask::kRotation, 1, 32, 32, 320);
  const ClassifierRecipe big = classifier_recipe(FeatureTask::kRotation, 3, 64, 64, 30000);
  EXPECT_NE(colour.name.find("classes-3x32x32"), std::string::npos) << colour.name;
  EXPECT_NE(rotation.name.find("rotation4-3x32x32"), std::string::npos) << rotation.name;
  EXPECT_NE(grey_rotation.name.find("rotation4-1x32x32"), std::string::npos) << grey_rotation.name;
  EXPECT_NE(big.name.find("rotation4-3x64x64"), std::string::npos) << big.name;
  // A small set: batch 32 and the most epochs; a large one: about 360,000 views in all.
  EXPECT_EQ(colour.batch, 32);
  EXPECT_EQ(colour.epochs, 18);
  EXPECT_EQ(rotation.epochs, 18);
  EXPECT_EQ(big.batch, 128);
  EXPECT_EQ(big.epochs, 3);  // 120,000 views an epoch
  // A grey set smaller than the first recipe's batch (which trained nothing there) takes the new one.
  EXPECT_NE(classifier_recipe(FeatureTask::kClasses, 1, 8, 8, 100).name.find("classes-1x8x8"), std::string::npos);
}

// 16 images of 8x8, channel planes, distinct pixels.
Dataset pattern_set(int channels, bool labels, uint64_t seed) {
  Dataset d = testing::synthetic_dataset(16, 8, 8 * channels, seed);
  d.width = 8;
  d.channels = channels;
  if (labels) {
    for (int i = 0; i < 16; ++i) d.labels.push_back(static_cast<uint8_t>(i % 2));
  }
  return d;
}

TEST(EvalRecipe, TheCacheKeyTellsTasksAndShapesApart) {
  EvalData labelled, unlabelled, grey;
  labelled.train = pattern_set(3, true, 1);
  labelled.held_out = pattern_set(3, true, 2);
  unlabelled.train = pattern_set(3, false, 1);
  unlabelled.held_out = pattern_set(3, false, 2);
  EXPECT_EQ(labelled.task(), FeatureTask::kClasses);
  EXPECT_EQ(unlabelled.task(), FeatureTask::kRotation);
  EXPECT_NE(classifier_key(labelled), classifier_key(unlabelled));
  // The same bytes read as 8x24 grey images instead of 3x8x8: another key.
  grey = unlabelled;
  for (Dataset* d : {&grey.train, &grey.held_out}) d->channels = 1, d->width = 24;
  EXPECT_NE(classifier_key(grey), classifier_key(unlabelled));
}

TEST(EvalData, UnlabelledDataGetsTheRotationTaskAndAHeldOutSplit) {
  ScratchDir dir;
  // A flat folder of 15 colour PNGs: every fifth held out, no labels anywhere.
  for (int i = 0; i < 15; ++i) {
    std::vector<uint8_t> rgb(8 * 8 * 3);
    for (size_t p = 0; p < rgb.size(); ++p) rgb[p] = static_cast<uint8_t>(p * 3 + i * 17);
    testing::write_bytes(dir.path("flat/" + std::to_string(10 + i) + ".png"),
                         (fs::create_directories(dir.path("flat")), encode_png_rgb(rgb.data(), 8, 8)));
  }
  const EvalData folder = load_eval_data(dir.path("flat"), ImageOptions{8, 3, false});
  EXPECT_EQ(folder.task(), FeatureTask::kRotation);
  EXPECT_EQ(folder.train.count, 12);
  EXPECT_EQ(folder.held_out.count, 3);
  EXPECT_EQ(folder.train.channels, 3);
  EXPECT_TRUE(folder.held_out.labels.empty());
  // An IDX images file without labels: the last 20% held out; non-square images cannot be turned.
  fs::create_directories(dir.path("idx"));
  testing::write_bytes(dir.path("idx/train-images-idx3-ubyte"), testing::make_idx_images(20, 8, 12, 3));
  const EvalData idx = load_eval_data(dir.path("idx"));
  EXPECT_EQ(idx.task(), FeatureTask::kRotation);
  EXPECT_EQ(idx.held_out.count, 4);
  try {
    train_classifier(idx, nullptr);
    ADD_FAILURE() << "8x12 images trained a rotation network";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("square"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("train-images-idx3-ubyte"), std::string::npos) << e.what();
  }
}

TEST(EvalData, MissingFoldersAndTooFewImagesAreClearErrors) {
  ScratchDir dir;
  auto error_of = [](const std::function<void()>& f) {
    try {
      f();
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error_of([&] { load_eval_data(dir.path("nowhere"), ImageOptions{8, 3, false}); }).find("nowhere"),
            std::string::npos);
  fs::create_directories(dir.path("few"));
  for (int i = 0; i < 11; ++i) {  // one short of the 12 an evaluation network needs
    std::vector<uint8_t> rgb(8 * 8 * 3, static_cast<uint8_t>(i * 20));
    testing::write_bytes(dir.path("few/" + std::to_string(i) + ".png"), encode_png_rgb(rgb.data(), 8, 8));
  }
  const std::string few = error_of([&] { load_eval_data(dir.path("few"), ImageOptions{8, 3, false}); });
  EXPECT_NE(few.find("11 images, too few"), std::string::npos) << few;
}

// --- The metric's proof on colour shapes ---

void make_shapes(const std::string& out, int per_class, int seed) {
  const std::string command = "/usr/bin/python3 " + std::string(GAN_SOURCE_DIR) + "/tools/make_shapes.py " + out +
                              " --per-class " + std::to_string(per_class) + " --size 32 --seed " +
                              std::to_string(seed) + " >/dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0) << command << " failed (needs python3-numpy, python3-pil)";
}

// The class folders' files side by side in one folder (no classes): "circle/07.png" -> "circle-07.png".
void flatten(const std::string& from, const std::string& to) {
  fs::create_directories(to);
  for (const auto& entry : fs::recursive_directory_iterator(from)) {
    if (entry.path().extension() != ".png") continue;
    fs::copy_file(entry.path(), fs::path(to) / (entry.path().parent_path().filename().string() + "-" +
                                                entry.path().filename().string()));
  }
}

// What the ladders need: the images of the classifier's folder (A, 80 per class) and a second
// folder of the same kind that no network saw (B, 200 per class), made once for the suite.
void expect_ranked_by_eye(const EvalData& data, const Classifier& network, const std::vector<uint8_t>& good);

class ShapesLadder : public ::testing::Test {
 protected:
  static constexpr int64_t kN = 200;  // images per set: every rung and the reference
  static void SetUpTestSuite() {
    dir_ = new ScratchDir;
    make_shapes(dir_->path("a"), 80, 1);
    make_shapes(dir_->path("b"), 200, 2);
    flatten(dir_->path("a"), dir_->path("a-flat"));
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static ImageOptions options() { return ImageOptions{32, 3, false}; }

  // The first `per_class` images of each class in `keep`, in class order, until `n` are taken.
  static std::vector<uint8_t> pick(const Dataset& d, const std::set<int>& keep, int64_t per_class, int64_t n) {
    std::vector<uint8_t> bytes;
    std::map<int, int64_t> taken;
    const int64_t pixels = d.pixels_per_image();
    for (int64_t i = 0; i < d.count && static_cast<int64_t>(bytes.size()) < n * pixels; ++i) {
      const int label = d.labels[static_cast<size_t>(i)];
      if (!keep.count(label) || taken[label] >= per_class) continue;
      ++taken[label];
      bytes.insert(bytes.end(), d.pixels.begin() + i * pixels, d.pixels.begin() + (i + 1) * pixels);
    }
    EXPECT_EQ(static_cast<int64_t>(bytes.size()), n * pixels);
    return bytes;
  }

  // Each channel averaged over the (2r+1)^2 box around each pixel (the box clipped at the edges).
  static std::vector<uint8_t> blurred(const std::vector<uint8_t>& bytes, int r) {
    const int s = 32;
    std::vector<uint8_t> out(bytes.size());
    for (size_t plane = 0; plane < bytes.size() / (s * s); ++plane) {
      const uint8_t* in = bytes.data() + plane * s * s;
      for (int y = 0; y < s; ++y)
        for (int x = 0; x < s; ++x) {
          int sum = 0, count = 0;
          for (int yy = std::max(0, y - r); yy <= std::min(s - 1, y + r); ++yy)
            for (int xx = std::max(0, x - r); xx <= std::min(s - 1, x + r); ++xx) sum += in[yy * s + xx], ++count;
          out[plane * s * s + y * s + x] = static_cast<uint8_t>((sum + count / 2) / count);
        }
    }
    return out;
  }

  // Gaussian noise of standard deviation sigma (in the network's [-1, 1] units), clipped.
  static std::vector<uint8_t> noisy(const std::vector<uint8_t>& bytes, float sigma) {
    std::vector<float> noise(bytes.size());
    fill_normal(5, RandomPurpose::kEvaluation, 17, noise.data(), static_cast<int64_t>(noise.size()));
    std::vector<uint8_t> out(bytes.size());
    for (size_t i = 0; i < bytes.size(); ++i) {
      out[i] = static_cast<uint8_t>(std::clamp(std::lround(bytes[i] + 127.5f * sigma * noise[i]), 0L, 255L));
    }
    return out;
  }

  static Moments moments(const Classifier& c, const std::vector<uint8_t>& bytes) {
    const int64_t n = static_cast<int64_t>(bytes.size()) / c.layout.image_size();
    std::vector<float> features, probabilities;
    c.run(normalize_images(bytes.data(), static_cast<int64_t>(bytes.size())).data(), n, &features, &probabilities);
    return feature_moments(features.data(), n, c.feature_size());
  }

  static void expect_rising(const std::string& what, const std::vector<double>& fd) {
    std::string line = "FD ladder, " + what + ":";
    for (double v : fd) line += " " + std::to_string(v);
    std::printf("%s\n", line.c_str());
    for (size_t i = 1; i < fd.size(); ++i) EXPECT_LT(fd[i - 1], fd[i]) << what << ", rung " << i;
  }

  static ScratchDir* dir_;
};

ScratchDir* ShapesLadder::dir_ = nullptr;

// Each network is trained once and then judged twice, on the ladders and on the eye's ranking:
// the training is most of each test's time, so one test per network, and the networks are
// cached where every build folder finds them (testing::shared_eval_cache: the shapes are drawn
// from fixed seeds, so CI's ASan stage loads what its first stage trained).
TEST_F(ShapesLadder, DomainClassifierFrechetDistanceGrowsWithBlurNoiseAndFewerClassesAndRanksRunsAsTheEyeDoes) {
  const EvalData a = load_eval_data(dir_->path("a"), options());
  ASSERT_EQ(a.task(), FeatureTask::kClasses);
  const Classifier classifier = load_or_train_classifier(a, testing::shared_eval_cache(), stdout);
  EXPECT_EQ(classifier.describe(), "domain classifier on 5 classes");
  EXPECT_GT(classifier.held_out_accuracy, 0.6);  // five shapes in random colours, chance 0.2
  const Dataset b = load_dataset(dir_->path("b"), "train", options());
  const std::set<int> all = {0, 1, 2, 3, 4};
  const Moments reference = moments(classifier, pick(a.train, all, kN / 5, kN));
  const std::vector<uint8_t> real = pick(b, all, kN / 5, kN);
  const double fd_real = frechet_distance(moments(classifier, real), reference);
  std::vector<double> blur = {fd_real}, noise = {fd_real}, classes = {fd_real};
  for (int r : {1, 2, 3}) blur.push_back(frechet_distance(moments(classifier, blurred(real, r)), reference));
  for (float sigma : {0.1f, 0.3f, 0.6f}) noise.push_back(frechet_distance(moments(classifier, noisy(real, sigma)), reference));
  for (const std::set<int>& keep : {std::set<int>{0, 1, 2}, std::set<int>{0, 1}, std::set<int>{0}}) {
    const int64_t per_class = (kN + static_cast<int64_t>(keep.size()) - 1) / static_cast<int64_t>(keep.size());
    classes.push_back(frechet_distance(moments(classifier, pick(b, keep, per_class, kN)), reference));
  }
  std::printf("n = %lld; real images of another seed %.2f\n", static_cast<long long>(kN), fd_real);
  expect_rising("box blur of radius 0, 1, 2, 3", blur);
  expect_rising("noise of sigma 0, 0.1, 0.3, 0.6", noise);
  expect_rising("5, 3, 2, 1 classes", classes);
  expect_ranked_by_eye(a, classifier, real);  // the good run: real images of set b
}

TEST_F(ShapesLadder, RotationNetworkFrechetDistanceGrowsWithNoiseAndBlurAndRanksRunsAsTheEyeDoes) {
  const EvalData flat = load_eval_data(dir_->path("a-flat"), options());
  ASSERT_EQ(flat.task(), FeatureTask::kRotation);
  const Classifier network = load_or_train_classifier(flat, testing::shared_eval_cache(), stdout);
  EXPECT_EQ(network.classes, 4);
  // Circles, rings, squares and crosses look the same in every quarter turn (only triangles
  // point somewhere), so about 0.25 + 0.75 / 5 = 0.4 is the best the task allows on these.
  EXPECT_GT(network.held_out_accuracy, 0.3);
  const Dataset b = load_dataset(dir_->path("b"), "train", options());
  const std::set<int> all = {0, 1, 2, 3, 4};
  std::vector<uint8_t> reference_bytes(flat.train.pixels.begin(), flat.train.pixels.begin() + kN * flat.train.pixels_per_image());
  const Moments reference = moments(network, reference_bytes);
  const std::vector<uint8_t> real = pick(b, all, kN / 5, kN);
  const double fd_real = frechet_distance(moments(network, real), reference);
  std::vector<double> blur = {fd_real}, noise = {fd_real};
  for (int r : {1, 2, 3}) blur.push_back(frechet_distance(moments(network, blurred(real, r)), reference));
  for (float sigma : {0.1f, 0.3f, 0.6f}) noise.push_back(frechet_distance(moments(network, noisy(real, sigma)), reference));
  std::printf("n = %lld; real images of another seed %.2f\n", static_cast<long long>(kN), fd_real);
  expect_rising("rotation network, box blur of radius 0, 1, 2, 3", blur);
  expect_rising("rotation network, noise of sigma 0, 0.1, 0.3, 0.6", noise);
  expect_ranked_by_eye(flat, network, real);
}

// Three "runs" a person ranks at a glance, measured by gan eval's own report: a good one (real
// images no network saw), a collapsed one (one of those images, n times) and a copier (the
// network's training images). The report must rank them as the eye does: the good run nearer
// the real images in FD and with more recall than the collapsed one, and only the copier
// flagged by the copy check.
void expect_ranked_by_eye(const EvalData& data, const Classifier& network, const std::vector<uint8_t>& good) {
  const int64_t pixels = data.train.pixels_per_image(), n = static_cast<int64_t>(good.size()) / pixels;
  std::vector<uint8_t> collapsed;
  for (int64_t i = 0; i < n; ++i) collapsed.insert(collapsed.end(), good.begin(), good.begin() + pixels);
  const std::vector<uint8_t> copier(data.train.pixels.begin(), data.train.pixels.begin() + n * pixels);
  EvalOptions options;
  const auto good_report = evaluate_images(good.data(), n, nullptr, data, network, options);
  const auto collapsed_report = evaluate_images(collapsed.data(), n, nullptr, data, network, options);
  const auto copier_report = evaluate_images(copier.data(), n, nullptr, data, network, options);
  std::printf("%s: FD good %.2f, collapsed %.2f (floor %.2f); recall good %.3f, collapsed %.3f\n",
              network.describe().c_str(), good_report["fd"].get<double>(), collapsed_report["fd"].get<double>(),
              good_report["fd_real_floor"].get<double>(), good_report["recall"].get<double>(),
              collapsed_report["recall"].get<double>());
  EXPECT_LT(good_report["fd"].get<double>(), collapsed_report["fd"].get<double>());
  EXPECT_GT(good_report["recall"].get<double>(), collapsed_report["recall"].get<double>());
  const auto median = [](const nlohmann::json& r) { return r["copy_check"]["generated_to_train_median"].get<double>(); };
  EXPECT_EQ(median(copier_report), 0.0);  // its images are training images
  EXPECT_GT(median(good_report), 0.0);
  EXPECT_GT(copier_report["copy_check"]["held_out_to_train_median"].get<double>(), 0.0);
  if (network.task == FeatureTask::kClasses) {
    EXPECT_GT(good_report["classes_above_1pct"].get<int64_t>(), collapsed_report["classes_above_1pct"].get<int64_t>());
    EXPECT_EQ(collapsed_report["classes_above_1pct"], 1);
  } else {
    EXPECT_FALSE(good_report.contains("histogram"));
  }
}

// The command line on colour data: --eval-every logs evaluations of a colour run, and gan eval
// says what measured it, a domain classifier on the class folders, a rotation network on the
// same images flat.
TEST(EvalAnyDataCli, ColourRunsAreEvaluatedWithClassesOrRotations) {
  ScratchDir dir;
  const std::string shapes = dir.path("shapes"), flat = dir.path("flat");
  const std::string command = "/usr/bin/python3 " + std::string(GAN_SOURCE_DIR) + "/tools/make_shapes.py " + shapes +
                              " --per-class 20 --size 16 >/dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  flatten(shapes, flat);
  const std::string cache = " --cache-dir " + dir.path("cache");
  auto r = testing::run_gan("train --device cpu --data " + shapes + " --image-size 16 --channels 3 --out " +
                                dir.path("run") + " --batch 20 --g-hidden 32 --d-hidden 16 --steps 4 --eval-every 2"
                                " --eval-n 40 --log-every 2 --sample-every 0",
                            "GAN_CACHE_DIR=" + dir.path("cache"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("eval at step 2: FD"), std::string::npos) << r.output;

  r = testing::run_gan("eval --checkpoint " + dir.path("run") + " --n 40" + cache);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("domain classifier on 5 classes: cached"), std::string::npos) << r.output;  // from training
  EXPECT_NE(r.output.find("measured with: domain classifier on 5 classes, held-out class accuracy"), std::string::npos)
      << r.output;
  std::ifstream labelled_stream(dir.path("run/eval_step_00000004.json"));
  const auto labelled = nlohmann::json::parse(labelled_stream);
  EXPECT_EQ(labelled["network_task"], "classes");
  EXPECT_EQ(labelled["network"], "domain classifier on 5 classes");
  EXPECT_EQ(labelled["histogram"].size(), 5u);
  EXPECT_TRUE(std::isfinite(labelled["fd"].get<double>()));

  r = testing::run_gan("eval --checkpoint " + dir.path("run") + " --data " + flat + " --n 40 --out " +
                       dir.path("flat.json") + cache);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("measured with: rotation network"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("held-out rotation accuracy"), std::string::npos) << r.output;
  std::ifstream flat_stream(dir.path("flat.json"));
  const auto unlabelled = nlohmann::json::parse(flat_stream);
  EXPECT_EQ(unlabelled["network_task"], "rotation");
  EXPECT_EQ(unlabelled["network_outputs"], 4);
  EXPECT_FALSE(unlabelled.contains("histogram"));
  for (const char* key : {"fd", "fd_real_floor", "precision", "recall", "classifier_accuracy"}) {
    EXPECT_TRUE(std::isfinite(unlabelled[key].get<double>())) << key;
  }

  // Grey IDX images of the same size for this colour generator: refused, naming both.
  fs::create_directories(dir.path("idx"));
  testing::write_bytes(dir.path("idx/train-images-idx3-ubyte"), testing::make_idx_images(30, 16, 16, 4));
  r = testing::run_gan("eval --checkpoint " + dir.path("run") + " --data " + dir.path("idx") + " --n 10" + cache);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("16x16 grey, but the generator makes 16x16 colour"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace gan
