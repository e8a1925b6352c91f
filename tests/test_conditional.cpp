// The conditional GAN (--conditional) on the CPU: its spec (cgan.py's tables and names), the
// label ops, every gradient of both steps against finite differences, the trainer's label
// draws, exact resume, and the command line around it (sample --class, --grid-by-class, the
// errors).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cpu/cpu_trainer.h"
#include "cpu/generate.h"
#include "cpu/mlp_model.h"
#include "data/idx.h"
#include "eval/metrics.h"
#include "io/png.h"
#include "io/safetensors.h"
#include "model/random_streams.h"
#include "test_util.h"
#include "train/checkpoint.h"
#include "train/config.h"
#include "util/error.h"
#include "util/files.h"

namespace gan {
namespace {

namespace fs = std::filesystem;
using testing::max_relative_error;
using testing::png_size;
using testing::random_vector;
using testing::run_gan;
using testing::ScratchDir;

// A small conditional MLP (odd widths, 3 classes) on 3x4 images.
ModelSpec tiny_conditional_spec(int64_t classes = 3) {
  TrainConfig config = config_from_json(
      {{"latent_dim", 5}, {"g_hidden", {7, 6}}, {"d_hidden", {8, 3}}, {"conditional", true}, {"classes", classes}},
      "test");
  return make_model_spec(config, 3, 4);
}

template <class T>
NetworkValues<T> mlp_initial_values(const NetworkSpec& network, uint32_t index) {
  std::vector<float> p(network.parameter_count);
  init_parameters(network, index, 99, p.data());
  NetworkValues<T> values;
  values.params.assign(p.begin(), p.end());
  return values;
}

TEST(Conditional, SpecPutsCgansLabelTablesFirst) {
  const ModelSpec spec = tiny_conditional_spec();
  EXPECT_TRUE(spec.conditional());
  const TensorSlot& g_table = spec.generator.tensors.front();
  EXPECT_EQ(g_table.name, "label_emb.weight");
  EXPECT_EQ(g_table.shape, (std::vector<int64_t>{3, 3}));
  EXPECT_EQ(spec.discriminator.tensors.front().name, "label_embedding.weight");
  // G sees cat(embedding, z); D sees cat(image, embedding).
  EXPECT_EQ(spec.generator.layers.front().in, 3 + 5);
  EXPECT_EQ(spec.generator.label.column, 0);
  EXPECT_EQ(spec.discriminator.layers.front().in, 12 + 3);
  EXPECT_EQ(spec.discriminator.label.column, 12);
  EXPECT_EQ(spec.generator.tensors[1].name, "model.0.weight");
  // D's projection term (the default): its table last, over the last layer's input (width 3).
  const TensorSlot& projection = spec.discriminator.tensors.back();
  EXPECT_EQ(projection.name, "label_projection.weight");
  EXPECT_EQ(projection.shape, (std::vector<int64_t>{3, 3}));
  EXPECT_EQ(spec.discriminator.projection.offset, projection.offset);
  EXPECT_EQ(spec.discriminator.projection.features, 3);
  // --projection false: cgan.py's D exactly, no projection table.
  TrainConfig cgan = config_from_json({{"latent_dim", 5}, {"g_hidden", {7}}, {"d_hidden", {8}}, {"conditional", true},
                                       {"classes", 3}, {"projection", false}},
                                      "test");
  const ModelSpec exact = make_model_spec(cgan, 3, 4);
  EXPECT_EQ(exact.discriminator.projection.classes, 0);
  EXPECT_EQ(exact.discriminator.tensors.back().name, "model.2.bias");
  // --label-dim widens both tables, and the first layers with them.
  TrainConfig wide = config_from_json({{"latent_dim", 5}, {"g_hidden", {7}}, {"d_hidden", {8}}, {"conditional", true},
                                       {"classes", 3}, {"label_dim", 4}},
                                      "test");
  const ModelSpec wider = make_model_spec(wide, 3, 4);
  EXPECT_EQ(wider.generator.tensors.front().shape, (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(wider.generator.layers.front().in, 4 + 5);
  EXPECT_EQ(wider.discriminator.layers.front().in, 12 + 4);
  // The unconditional spec is unchanged: no table, the seed's widths.
  TrainConfig plain = config_from_json({{"latent_dim", 5}, {"g_hidden", {7, 6}}, {"d_hidden", {8, 3}}}, "test");
  const ModelSpec seed = make_model_spec(plain, 3, 4);
  EXPECT_FALSE(seed.conditional());
  EXPECT_EQ(seed.generator.tensors.front().name, "model.0.weight");
  EXPECT_EQ(seed.generator.layers.front().in, 5);
}

TEST(Conditional, TablesStartAsNnEmbeddingsStandardNormal) {
  const ModelSpec spec = tiny_conditional_spec(40);  // 1600 values: enough to see the law
  std::vector<float> params(spec.generator.parameter_count);
  init_parameters(spec.generator, 0, 7, params.data());
  const LabelEmbedding& label = spec.generator.label;
  double sum = 0, squares = 0, beyond_two = 0;
  const int64_t n = label.classes * label.dim;
  for (int64_t i = 0; i < n; ++i) {
    const double v = params[label.offset + static_cast<size_t>(i)];
    sum += v;
    squares += v * v;
    beyond_two += std::fabs(v) > 2 ? 1 : 0;
  }
  EXPECT_NEAR(sum / n, 0.0, 0.1);
  EXPECT_NEAR(std::sqrt(squares / n), 1.0, 0.1);
  EXPECT_GT(beyond_two, 0);  // a uniform init within +-1/sqrt(fan_in) would have none
}

TEST(Conditional, ConcatPutsTheLabelsRowAtItsColumn) {
  const int64_t B = 3, width = 4, dim = 2;
  const std::vector<float> x = random_vector<float>(B * width, 1), table = random_vector<float>(5 * dim, 2);
  const std::vector<int32_t> labels = {4, 0, 2};
  for (int64_t column : {int64_t{0}, int64_t{1}, width}) {
    std::vector<float> out(B * (width + dim), NAN);
    concat_label_embedding(x.data(), width, table.data(), dim, labels.data(), column, B, out.data());
    for (int64_t r = 0; r < B; ++r) {
      for (int64_t j = 0; j < width + dim; ++j) {
        const float expected = j < column         ? x[r * width + j]
                               : j < column + dim ? table[labels[r] * dim + (j - column)]
                                                  : x[r * width + j - dim];
        EXPECT_EQ(out[r * (width + dim) + j], expected) << "row " << r << " column " << j;
      }
    }
  }
}

TEST(Conditional, DiscriminatorStepGradientsIncludeTheLabelTable) {
  const ModelSpec spec = tiny_conditional_spec();
  MlpCpuModel<double> model(spec);
  NetworkValues<double> g = mlp_initial_values<double>(spec.generator, 0);
  NetworkValues<double> d = mlp_initial_values<double>(spec.discriminator, 1);
  const int64_t B = 5;
  const auto real = random_vector<double>(B * spec.image_size(), 41);
  const auto z = random_vector<double>(B * spec.latent_dim, 42, -2, 2);
  const std::vector<int32_t> real_labels = {0, 2, 2, 1, 0}, fake_labels = {1, 1, 0, 2, 2};
  const StepLabels labels{real_labels.data(), fake_labels.data(), nullptr};
  std::vector<double> grads(spec.discriminator.parameter_count, NAN), scratch(grads.size());
  model.discriminator_step(B, real.data(), z.data(), labels, g, d, grads.data());
  auto loss = [&] {
    const DiscriminatorLosses l = model.discriminator_step(B, real.data(), z.data(), labels, g, d, scratch.data());
    return l.real_half.loss_real + l.fake_half.loss_fake;
  };
  for (const TensorSlot& t : spec.discriminator.tensors) {
    std::vector<size_t> indices;
    for (size_t e = 0; e < t.size; ++e) indices.push_back(t.offset + e);
    const std::vector<double> analytic(grads.begin(), grads.end());
    EXPECT_LT(testing::finite_difference_error(d.params, analytic, indices, loss), 1e-6) << t.name;
  }
  // The tables' gradients are not zero: the label reaches the loss both ways.
  const LabelEmbedding& table = spec.discriminator.label;
  double largest = 0;
  for (int64_t i = 0; i < table.classes * table.dim; ++i) largest = std::max(largest, std::fabs(grads[table.offset + i]));
  EXPECT_GT(largest, 1e-6);
  const LabelProjection& projection = spec.discriminator.projection;
  ASSERT_GT(projection.classes, 0);
  largest = 0;
  for (int64_t i = 0; i < projection.classes * projection.features; ++i)
    largest = std::max(largest, std::fabs(grads[projection.offset + i]));
  EXPECT_GT(largest, 1e-6);
}

TEST(Conditional, GeneratorStepGradientsIncludeTheLabelTable) {
  const ModelSpec spec = tiny_conditional_spec();
  MlpCpuModel<double> model(spec);
  NetworkValues<double> g = mlp_initial_values<double>(spec.generator, 0);
  NetworkValues<double> d = mlp_initial_values<double>(spec.discriminator, 1);
  const int64_t B = 4;
  const auto z = random_vector<double>(B * spec.latent_dim, 51, -2, 2);
  const std::vector<int32_t> labels = {2, 0, 2, 1};
  std::vector<double> grads(spec.generator.parameter_count, NAN), scratch(grads.size());
  model.generator_step(B, z.data(), labels.data(), g, d, grads.data());
  auto loss = [&] { return model.generator_step(B, z.data(), labels.data(), g, d, scratch.data()).loss_real; };
  for (const TensorSlot& t : spec.generator.tensors) {
    std::vector<size_t> indices;
    for (size_t e = 0; e < t.size; ++e) indices.push_back(t.offset + e);
    const std::vector<double> analytic(grads.begin(), grads.end());
    EXPECT_LT(testing::finite_difference_error(g.params, analytic, indices, loss), 1e-6) << t.name;
  }
  // Class 1 appears once, so its row has a gradient; the tables' rows of absent classes are 0.
  const std::vector<int32_t> only_zero = {0, 0, 0, 0};
  model.generator_step(B, z.data(), only_zero.data(), g, d, grads.data());
  const LabelEmbedding& table = spec.generator.label;
  for (int64_t j = 0; j < table.dim; ++j) {
    EXPECT_NE(grads[table.offset + j], 0.0);
    EXPECT_EQ(grads[table.offset + table.dim + j], 0.0);
    EXPECT_EQ(grads[table.offset + 2 * table.dim + j], 0.0);
  }
}

TEST(Conditional, TheLabelChangesTheImageAndNothingElseDoes) {
  const ModelSpec spec = tiny_conditional_spec();
  const TrainerState state = fresh_trainer_state(spec, 5);
  const std::vector<float> z = random_vector<float>(2 * spec.latent_dim, 3);
  std::vector<float> zz(z.begin(), z.begin() + spec.latent_dim);
  zz.insert(zz.end(), z.begin(), z.begin() + spec.latent_dim);  // the same z twice
  std::vector<float> same(2 * spec.image_size()), different(2 * spec.image_size());
  const std::vector<int32_t> equal = {1, 1}, unequal = {1, 2};
  generate_images(spec, state.generator, zz.data(), equal.data(), 2, same.data());
  generate_images(spec, state.generator, zz.data(), unequal.data(), 2, different.data());
  const int64_t pixels = spec.image_size();
  EXPECT_TRUE(std::equal(same.begin(), same.begin() + pixels, same.begin() + pixels));
  EXPECT_FALSE(std::equal(different.begin(), different.begin() + pixels, different.begin() + pixels));
  // Labels are checked: none for a conditional generator, one out of range, one for a plain one.
  EXPECT_THROW(generate_images(spec, state.generator, zz.data(), nullptr, 2, same.data()), InputError);
  const std::vector<int32_t> too_large = {1, 3};
  EXPECT_THROW(generate_images(spec, state.generator, zz.data(), too_large.data(), 2, same.data()), InputError);
}

TEST(Conditional, FakeLabelsAreUniformAndKeyedByStep) {
  std::vector<int32_t> a(20000), b(20000), c(20000);
  fill_classes(3, RandomPurpose::kLabelDiscriminator, 7, 10, a.data(), 20000);
  fill_classes(3, RandomPurpose::kLabelDiscriminator, 7, 10, b.data(), 20000);
  fill_classes(3, RandomPurpose::kLabelDiscriminator, 8, 10, c.data(), 20000);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  std::vector<int> counts(10, 0);
  for (int32_t label : a) {
    ASSERT_GE(label, 0);
    ASSERT_LT(label, 10);
    ++counts[label];
  }
  for (int count : counts) EXPECT_NEAR(count, 2000, 200);  // about 4.7 standard deviations
}

TEST(Conditional, TrainerFeedsTheDatasLabelsAndDrawsTheFakeOnes) {
  Dataset data = testing::synthetic_dataset(40, 3, 4, 11);
  for (int64_t i = 0; i < data.count; ++i) data.labels.push_back(static_cast<uint8_t>(i % 3));
  const ModelSpec spec = tiny_conditional_spec();
  CpuTrainerOptions options;
  options.seed = 4;
  CpuTrainer trainer(spec, data, options);
  const StepPosition at{3, 0, 8, 16, 0};
  trainer.train_step(at);
  const std::vector<uint32_t> order = epoch_permutation(4, 0, 40);
  ASSERT_EQ(trainer.last_real_labels().size(), 16u);
  for (int64_t i = 0; i < 16; ++i) EXPECT_EQ(trainer.last_real_labels()[i], data.labels[order[8 + i]]);
  std::vector<int32_t> expected(16);
  fill_classes(4, RandomPurpose::kLabelGenerator, at.noise_key(), 3, expected.data(), 16);
  EXPECT_EQ(trainer.last_fake_labels_g(), expected);
  fill_classes(4, RandomPurpose::kLabelDiscriminator, at.noise_key(), 3, expected.data(), 16);
  EXPECT_EQ(trainer.last_fake_labels_d(), expected);
  EXPECT_TRUE(std::isfinite(trainer.last_stats().d_loss));
  // A label beyond the model's classes, and data without labels, are refused by name.
  data.labels[5] = 7;
  EXPECT_THROW(CpuTrainer(spec, data, options), InputError);
  data.labels.clear();
  EXPECT_THROW(CpuTrainer(spec, data, options), InputError);
}

// D's learning rate: --lr unless --d-lr says otherwise, and 10 x --lr for a conditional MLP.
TEST(Conditional, DiscriminatorLearningRateDefaultsToTenTimesGsForTheMlpOnly) {
  auto d_lr = [](const nlohmann::json& keys) { return discriminator_lr(config_from_json(keys, "test")); };
  EXPECT_DOUBLE_EQ(d_lr({{"lr", 3e-4}}), 3e-4);
  EXPECT_DOUBLE_EQ(d_lr({{"lr", 3e-4}, {"conditional", true}}), 10 * 3e-4);
  EXPECT_DOUBLE_EQ(d_lr({{"lr", 3e-4}, {"conditional", true}, {"model", "dcgan"}}), 3e-4);
  EXPECT_DOUBLE_EQ(d_lr({{"lr", 3e-4}, {"conditional", true}, {"d_lr", 5e-4}}), 5e-4);
  EXPECT_DOUBLE_EQ(d_lr({{"lr", 3e-4}, {"d_lr", 1e-3}}), 1e-3);
  const StepOptions step = step_options(config_from_json({{"lr", 3e-4}, {"d_lr", 1e-3}, {"beta1", 0.5}}, "test"));
  EXPECT_DOUBLE_EQ(step.adam.lr, 3e-4);
  EXPECT_DOUBLE_EQ(step.discriminator_adam().lr, 1e-3);
  EXPECT_DOUBLE_EQ(step.discriminator_adam().beta1, 0.5);
}

// Adam's first step moves every parameter with a non-zero gradient by its learning rate (the
// update is lr * g / (|g| + eps)), so one step shows which rate each network stepped with.
TEST(Conditional, EachNetworkStepsAtItsOwnLearningRate) {
  Dataset data = testing::synthetic_dataset(40, 3, 4, 11);
  for (int64_t i = 0; i < data.count; ++i) data.labels.push_back(static_cast<uint8_t>(i % 3));
  const TrainConfig config = config_from_json({{"latent_dim", 5}, {"g_hidden", {7, 6}}, {"d_hidden", {8, 3}},
                                               {"conditional", true}, {"classes", 3}, {"lr", 1e-4}, {"d_lr", 2e-3}},
                                              "test");
  const ModelSpec spec = make_model_spec(config, 3, 4);
  CpuTrainerOptions options;
  static_cast<StepOptions&>(options) = step_options(config);
  CpuTrainer trainer(spec, data, options);
  const TrainerState before = trainer.state();
  trainer.train_step({1, 0, 0, 16, 0});
  auto largest_move = [](const std::vector<float>& a, const std::vector<float>& b) {
    double most = 0;
    for (size_t i = 0; i < a.size(); ++i) most = std::max(most, std::fabs(double(a[i]) - double(b[i])));
    return most;
  };
  EXPECT_NEAR(largest_move(before.discriminator.params, trainer.state().discriminator.params), 2e-3, 2e-5);
  EXPECT_NEAR(largest_move(before.generator.params, trainer.state().generator.params), 1e-4, 1e-6);
}

TEST(Conditional, AccuracyCountsTheClassAskedFor) {
  // Three images asked for classes 0, 1, 1; the classifier says 0, 1, 0.
  const std::vector<float> p = {0.9f, 0.1f, 0.2f, 0.8f, 0.6f, 0.4f};
  const std::vector<int32_t> asked = {0, 1, 1};
  const ConditionalAccuracy a = conditional_accuracy(p.data(), asked.data(), 3, 2);
  EXPECT_DOUBLE_EQ(a.overall, 2.0 / 3.0);
  EXPECT_EQ(a.per_class, (std::vector<double>{1.0, 0.5}));
  EXPECT_EQ(a.drawn, (std::vector<int64_t>{1, 2}));
}

// A small labelled data set (100 images of 6x5, 4 classes) and tiny networks.
std::string conditional_run_flags(const ScratchDir& dir) {
  if (!fs::exists(dir.path("data/train-images-idx3-ubyte"))) {
    fs::create_directories(dir.path("data"));
    testing::write_bytes(dir.path("data/train-images-idx3-ubyte"), testing::make_idx_images(100, 6, 5, 9));
    std::vector<uint8_t> labels(100);
    for (size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<uint8_t>((i * 7) % 4);
    testing::write_bytes(dir.path("data/train-labels-idx1-ubyte"), encode_idx({100}, labels.data()));
  }
  return "--device cpu --data " + dir.path("data") + " --batch 16 --latent-dim 7 --g-hidden 12,9 --d-hidden 10 " +
         "--lr 1e-3 --log-every 5 --sample-every 0 --conditional";
}

TEST(ConditionalCli, TrainsResumesExactlyAndNamesItsTablesAsCgan) {
  ScratchDir dir;
  const std::string flags = conditional_run_flags(dir);
  const auto first = run_gan("train " + flags + " --out " + dir.path("a") + " --steps 10 --checkpoint-every 0");
  ASSERT_EQ(first.exit_code, 0) << first.output;
  const auto resumed = run_gan("train --resume " + dir.path("a") + " --steps 23");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  ASSERT_EQ(run_gan("train " + flags + " --out " + dir.path("b") + " --steps 23").exit_code, 0);
  ModelSpec spec;
  const Checkpoint a = load_checkpoint(dir.path("a/last.safetensors"), &spec);
  const Checkpoint b = load_checkpoint(dir.path("b/last.safetensors"), nullptr);
  EXPECT_EQ(spec.classes, 4);  // resolved from the data's labels, and kept in the checkpoint
  EXPECT_EQ(a.config["classes"], 4);
  EXPECT_EQ(a.state.generator.params, b.state.generator.params);
  EXPECT_EQ(a.state.discriminator.params, b.state.discriminator.params);
  EXPECT_EQ(a.state.discriminator.exp_avg_sq, b.state.discriminator.exp_avg_sq);
  const SafetensorsFile file = read_safetensors(dir.path("a/last.safetensors"));
  EXPECT_EQ(file.tensors.count("generator.label_emb.weight"), 1u);
  EXPECT_EQ(file.tensors.count("discriminator.label_embedding.weight"), 1u);
  EXPECT_EQ(file.tensors.count("optimizer.generator.exp_avg.label_emb.weight"), 1u);
  // The run's grids have one row per class: 4 rows of 8 images of 6x5 with 2-pixel gaps.
  const auto [grid_width, grid_height] = png_size(dir.path("a/samples/step_00000023.png"));
  EXPECT_EQ(grid_height, 4 * (6 + 2) + 2);
  EXPECT_EQ(grid_width, 8 * (5 + 2) + 2);
  // Resuming without --conditional's table changes nothing: the key cannot change on resume.
  const auto changed = run_gan("train --resume " + dir.path("a") + " --steps 30 --conditional false");
  EXPECT_NE(changed.exit_code, 0);
  EXPECT_NE(changed.output.find("conditional"), std::string::npos) << changed.output;
}

TEST(ConditionalCli, SampleDrawsTheClassAskedForAndGridsByClass) {
  ScratchDir dir;
  ASSERT_EQ(run_gan("train " + conditional_run_flags(dir) + " --out " + dir.path("run") + " --steps 5").exit_code, 0);
  const auto one = run_gan("sample --checkpoint " + dir.path("run") + " --class 3 --n 12 --out " + dir.path("three.idx"));
  ASSERT_EQ(one.exit_code, 0) << one.output;
  const auto two = run_gan("sample --checkpoint " + dir.path("run") + " --class 3,1 --n 12 --out " + dir.path("mixed.idx"));
  ASSERT_EQ(two.exit_code, 0) << two.output;
  // The same noise for image i in both files: the images asked for class 3 in both agree, the
  // others (class 1) differ.
  const auto threes = read_whole_file(dir.path("three.idx")), mixed = read_whole_file(dir.path("mixed.idx"));
  ASSERT_EQ(threes.size(), mixed.size());
  const size_t header = threes.size() - 12 * 30;
  auto image = [&](const std::vector<uint8_t>& f, size_t i) {
    return std::vector<uint8_t>(f.begin() + header + i * 30, f.begin() + header + (i + 1) * 30);
  };
  EXPECT_EQ(image(threes, 0), image(mixed, 0));
  EXPECT_EQ(image(threes, 2), image(mixed, 2));
  EXPECT_NE(image(threes, 1), image(mixed, 1));
  const auto grid = run_gan("sample --checkpoint " + dir.path("run") + " --grid-by-class --columns 5 --out " +
                            dir.path("grid.png"));
  ASSERT_EQ(grid.exit_code, 0) << grid.output;
  const auto [width, height] = png_size(dir.path("grid.png"));
  EXPECT_EQ(height, 4 * (6 + 2) + 2);  // a row per class
  EXPECT_EQ(width, 5 * (5 + 2) + 2);
  // Errors name what is wrong.
  const auto outside = run_gan("sample --checkpoint " + dir.path("run") + " --class 4 --out " + dir.path("x.png"));
  EXPECT_NE(outside.exit_code, 0);
  EXPECT_NE(outside.output.find("0..3"), std::string::npos) << outside.output;
  const auto with_n = run_gan("sample --checkpoint " + dir.path("run") + " --grid-by-class --n 9 --out " + dir.path("x.png"));
  EXPECT_NE(with_n.exit_code, 0);
  EXPECT_NE(with_n.output.find("--n"), std::string::npos) << with_n.output;
}

// A conditional checkpoint written before the keys 'projection' and 'd_lr' existed trained
// without the projection term and with D at G's rate: it loads, resumes (bit for bit as the run
// that never stopped) and samples as --projection false --d-lr <its --lr>. A new run's config
// holds the D rate it used, not 0.
TEST(ConditionalCli, CheckpointsFromBeforeTheProjectionAndDLrLoadWithout) {
  ScratchDir dir;
  const std::string flags = conditional_run_flags(dir) + " --projection false --d-lr 1e-3";
  ASSERT_EQ(run_gan("train " + flags + " --out " + dir.path("old") + " --steps 4").exit_code, 0);
  // Remove the keys from the checkpoint's config, as the earlier versions wrote it: such a run
  // had no projection term and stepped D at G's rate (--lr 1e-3 here).
  const std::string path = dir.path("old/last.safetensors");
  SafetensorsFile file = read_safetensors(path);
  nlohmann::json config = nlohmann::json::parse(file.metadata.at("config"));
  ASSERT_EQ(config.at("projection"), false);
  config.erase("projection");
  config.erase("d_lr");
  file.metadata["config"] = config.dump();
  std::vector<TensorView> views;
  for (const auto& [name, tensor] : file.tensors) views.push_back({name, tensor.shape, tensor.data.data()});
  write_safetensors(path, views, file.metadata);
  ModelSpec spec;
  const Checkpoint old = load_checkpoint(path, &spec);
  EXPECT_EQ(spec.discriminator.projection.classes, 0);
  EXPECT_DOUBLE_EQ(discriminator_lr(config_from_json(old.config, "old")), 1e-3);
  const auto resumed = run_gan("train --resume " + dir.path("old") + " --steps 6");
  EXPECT_EQ(resumed.exit_code, 0) << resumed.output;
  ASSERT_EQ(run_gan("train " + flags + " --out " + dir.path("whole") + " --steps 6").exit_code, 0);
  const Checkpoint a = load_checkpoint(path, nullptr), b = load_checkpoint(dir.path("whole/last.safetensors"), nullptr);
  EXPECT_EQ(a.state.discriminator.params, b.state.discriminator.params);
  EXPECT_EQ(a.state.generator.params, b.state.generator.params);
  const auto sampled = run_gan("sample --checkpoint " + dir.path("old") + " --class 1 --n 4 --out " + dir.path("s.idx"));
  EXPECT_EQ(sampled.exit_code, 0) << sampled.output;
  // A new default run records the 10x rate it chose (conditional_run_flags' --lr is 1e-3).
  ASSERT_EQ(run_gan("train " + conditional_run_flags(dir) + " --out " + dir.path("new") + " --steps 1").exit_code, 0);
  const Checkpoint fresh = load_checkpoint(dir.path("new/last.safetensors"), nullptr);
  EXPECT_DOUBLE_EQ(fresh.config.at("d_lr").get<double>(), 1e-2);
  // Stored as 0 (as commit b933d1a wrote runs), it still means that rate: resuming with the rate
  // spelled out, or with --d-lr 0, is the same run; another rate is refused.
  SafetensorsFile zero = read_safetensors(dir.path("new/last.safetensors"));
  nlohmann::json zero_config = nlohmann::json::parse(zero.metadata.at("config"));
  zero_config["d_lr"] = 0.0;
  zero.metadata["config"] = zero_config.dump();
  std::vector<TensorView> zero_views;
  for (const auto& [name, tensor] : zero.tensors) zero_views.push_back({name, tensor.shape, tensor.data.data()});
  write_safetensors(dir.path("new/last.safetensors"), zero_views, zero.metadata);
  EXPECT_EQ(run_gan("train --resume " + dir.path("new") + " --d-lr 1e-2 --steps 2").exit_code, 0);
  EXPECT_EQ(run_gan("train --resume " + dir.path("new") + " --d-lr 0 --steps 3").exit_code, 0);
  const auto other = run_gan("train --resume " + dir.path("new") + " --d-lr 1e-3 --steps 4");
  EXPECT_NE(other.exit_code, 0);
  EXPECT_NE(other.output.find("d_lr"), std::string::npos) << other.output;
}

TEST(ConditionalCli, WrongUsesAreClearErrors) {
  ScratchDir dir;
  const std::string flags = conditional_run_flags(dir);
  // No labels beside the images.
  fs::create_directories(dir.path("unlabelled"));
  testing::write_bytes(dir.path("unlabelled/train-images-idx3-ubyte"), testing::make_idx_images(50, 6, 5, 3));
  const auto unlabelled = run_gan("train --device cpu --conditional --steps 2 --batch 8 --data " + dir.path("unlabelled") +
                                  " --out " + dir.path("u"));
  EXPECT_NE(unlabelled.exit_code, 0);
  EXPECT_NE(unlabelled.output.find("no labels file"), std::string::npos) << unlabelled.output;
  // Fewer classes than the labels name.
  const auto few = run_gan("train " + flags + " --classes 3 --steps 2 --out " + dir.path("f"));
  EXPECT_NE(few.exit_code, 0);
  EXPECT_NE(few.output.find("outside the model's classes 0..2"), std::string::npos) << few.output;
  // --class on an unconditional checkpoint.
  ASSERT_EQ(run_gan("train --device cpu --data " + dir.path("data") +
                    " --batch 16 --latent-dim 7 --g-hidden 12 --d-hidden 10 --sample-every 0 --steps 2 --out " +
                    dir.path("plain")).exit_code, 0);
  const auto plain = run_gan("sample --checkpoint " + dir.path("plain") + " --class 1 --out " + dir.path("p.png"));
  EXPECT_NE(plain.exit_code, 0);
  EXPECT_NE(plain.output.find("not a conditional generator"), std::string::npos) << plain.output;
}

}  // namespace
}  // namespace gan
