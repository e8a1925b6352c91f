// The conditional DCGAN (--model dcgan --conditional) on the CPU: its spec (G's label table in
// front of z, D's projection table last), the projection op against its formula, every gradient
// of both steps against finite differences, and the command line: it trains, resumes exactly
// and samples by class.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <functional>
#include <string>

#include "cpu/dcgan_model.h"
#include "data/idx.h"
#include "io/safetensors.h"
#include "model/dcgan_spec.h"
#include "test_util.h"
#include "train/checkpoint.h"
#include "util/files.h"

namespace gan {
namespace {

namespace fs = std::filesystem;
using testing::random_vector;
using testing::run_gan;
using testing::ScratchDir;

// latent 5, C0 = 4, C1 = 3, 3 classes with a label table 2 wide.
ModelSpec small_conditional_dcgan() { return make_dcgan_spec(5, 4, 3, 0.2f, 3, 2); }

template <class T>
NetworkValues<T> dcgan_initial_values(const NetworkSpec& network, uint32_t index) {
  std::vector<float> p(network.parameter_count), b(network.buffer_count);
  init_dcgan_network(network, index, 7, p.data(), b.data());
  NetworkValues<T> values;
  values.params.assign(p.begin(), p.end());
  values.buffers.assign(b.begin(), b.end());
  // BatchNorm's affine parameters away from 1 and 0, so their gradients are exercised.
  for (const TensorSlot& s : network.tensors) {
    if (s.fan_in != 0) continue;
    const auto r = random_vector<T>(s.size, s.offset + 100, 0.5, 1.5);
    std::copy(r.begin(), r.end(), values.params.begin() + static_cast<std::ptrdiff_t>(s.offset));
  }
  return values;
}

TEST(ConditionalDcgan, SpecHasTheLabelTableInFrontOfZAndTheProjectionLast) {
  const ModelSpec spec = small_conditional_dcgan();
  ASSERT_TRUE(spec.conditional());
  const TensorSlot& table = spec.generator.tensors.front();
  EXPECT_EQ(table.name, "label_emb.weight");
  EXPECT_EQ(table.shape, (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(spec.generator.label.offset, table.offset);
  EXPECT_EQ(spec.generator.tensor("project.weight").shape, (std::vector<int64_t>{4 * 49, 2 + 5}));
  const TensorSlot& projection = spec.discriminator.tensors.back();
  EXPECT_EQ(projection.name, "label_projection.weight");
  EXPECT_EQ(projection.shape, (std::vector<int64_t>{3, 4 * 49}));
  EXPECT_EQ(spec.discriminator.projection.offset, projection.offset);
  EXPECT_EQ(spec.discriminator.label.classes, 0);  // D's image enters alone
  // The G table is N(0, 1) (nn.Embedding); the projection table U(+-1/sqrt(features)), as net.6.
  const ModelSpec wide = make_dcgan_spec(5, 8, 3, 0.2f, 10, 40);
  NetworkValues<double> g = dcgan_initial_values<double>(wide.generator, 0);
  NetworkValues<double> d = dcgan_initial_values<double>(wide.discriminator, 1);
  double sum = 0, squares = 0;
  for (int64_t i = 0; i < 400; ++i) {
    sum += g.params[wide.generator.label.offset + i];
    squares += g.params[wide.generator.label.offset + i] * g.params[wide.generator.label.offset + i];
  }
  EXPECT_NEAR(sum / 400, 0.0, 0.2);
  EXPECT_NEAR(squares / 400, 1.0, 0.25);
  const double bound = 1.0 / std::sqrt(8.0 * 49);
  double largest = 0;
  for (int64_t i = 0; i < 10 * 8 * 49; ++i) largest = std::max(largest, std::fabs(d.params[wide.discriminator.projection.offset + i]));
  EXPECT_LE(largest, bound);
  EXPECT_GT(largest, 0.9 * bound);
}

TEST(ConditionalDcgan, ProjectionIsTheInnerProductWithTheLabelsRow) {
  // 3 rows of 2 features, 2 classes.
  const std::vector<double> features = {1, 2, 3, 4, -1, 0.5}, table = {10, 20, -1, 3};
  const std::vector<int32_t> labels = {1, 0, 1};
  std::vector<double> logits = {0.5, 0, 1};
  label_projection_forward(features.data(), table.data(), labels.data(), 3, 2, logits.data());
  EXPECT_EQ(logits, (std::vector<double>{0.5 + (-1 + 6), 30 + 80, 1 + (1 + 1.5)}));
  const std::vector<double> d_logits = {2, -1, 0.5};
  std::vector<double> d_features(6, 1.0), d_table(4, NAN);
  label_projection_backward(features.data(), table.data(), labels.data(), d_logits.data(), 3, 2, 2, d_features.data(),
                            d_table.data());
  EXPECT_EQ(d_features, (std::vector<double>{1 - 2, 1 + 6, 1 - 10, 1 - 20, 1 - 0.5, 1 + 1.5}));
  EXPECT_EQ(d_table, (std::vector<double>{-3, -4, 2 - 0.5, 4 + 0.25}));
}

// Every tensor of a network against central finite differences of `loss`, at
// testing::probe_indices, as one set (the biases before a BatchNorm have gradients of rounding
// size only), and every entry of the label table `table` on its own.
void expect_gradients(const NetworkSpec& network, const std::string& table, std::vector<double>& values,
                      const std::vector<double>& analytic, const std::function<double()>& loss) {
  std::vector<size_t> label;
  for (const TensorSlot& t : network.tensors) {
    for (size_t e = 0; t.name == table && e < t.size; ++e) label.push_back(t.offset + e);
  }
  ASSERT_FALSE(label.empty()) << table;
  EXPECT_LT(testing::finite_difference_error(values, analytic, testing::probe_indices(network.tensors), loss), 1e-6);
  EXPECT_LT(testing::finite_difference_error(values, analytic, label, loss), 1e-6) << table;
}

TEST(ConditionalDcgan, DiscriminatorStepGradientsIncludeTheProjection) {
  const ModelSpec spec = small_conditional_dcgan();
  DcganCpuModel<double> model(spec, ConvCode::kLoops);
  NetworkValues<double> g = dcgan_initial_values<double>(spec.generator, 0);
  NetworkValues<double> d = dcgan_initial_values<double>(spec.discriminator, 1);
  const int64_t B = 4;
  const auto real = random_vector<double>(B * 784, 61);
  const auto z = random_vector<double>(B * 5, 62, -2, 2);
  const std::vector<int32_t> real_labels = {0, 2, 2, 1}, fake_labels = {1, 1, 0, 2};
  const StepLabels labels{real_labels.data(), fake_labels.data(), nullptr};
  std::vector<double> grads(spec.discriminator.parameter_count, NAN), scratch(grads.size());
  model.discriminator_step(B, real.data(), z.data(), labels, g, d, grads.data());
  auto loss = [&] {
    const DiscriminatorLosses l = model.discriminator_step(B, real.data(), z.data(), labels, g, d, scratch.data());
    return l.real_half.loss_real + l.fake_half.loss_fake;
  };
  expect_gradients(spec.discriminator, "label_projection.weight", d.params, grads, loss);
  // Each class's row of the projection moves.
  const LabelProjection& projection = spec.discriminator.projection;
  for (int64_t c = 0; c < 3; ++c) {
    double largest = 0;
    for (int64_t j = 0; j < projection.features; ++j)
      largest = std::max(largest, std::fabs(grads[projection.offset + c * projection.features + j]));
    EXPECT_GT(largest, 1e-6) << "class " << c;
  }
  // The labels change the logits: swapping them changes the loss.
  const double before = loss();
  const StepLabels swapped{fake_labels.data(), real_labels.data(), nullptr};
  const DiscriminatorLosses after = model.discriminator_step(B, real.data(), z.data(), swapped, g, d, scratch.data());
  EXPECT_GT(std::fabs(after.real_half.loss_real + after.fake_half.loss_fake - before), 1e-6);
}

TEST(ConditionalDcgan, GeneratorStepGradientsIncludeTheLabelTable) {
  const ModelSpec spec = small_conditional_dcgan();
  DcganCpuModel<double> model(spec, ConvCode::kLoops);
  NetworkValues<double> g = dcgan_initial_values<double>(spec.generator, 0);
  NetworkValues<double> d = dcgan_initial_values<double>(spec.discriminator, 1);
  const int64_t B = 3;
  const auto z = random_vector<double>(B * 5, 71, -2, 2);
  const std::vector<int32_t> labels = {2, 0, 2};
  std::vector<double> grads(spec.generator.parameter_count, NAN), scratch(grads.size());
  model.generator_step(B, z.data(), labels.data(), g, d, grads.data());
  auto loss = [&] { return model.generator_step(B, z.data(), labels.data(), g, d, scratch.data()).loss_real; };
  expect_gradients(spec.generator, "label_emb.weight", g.params, grads, loss);
  // Class 1 is asked of no image: its row has no gradient; the others have one.
  const LabelEmbedding& table = spec.generator.label;
  for (int64_t j = 0; j < table.dim; ++j) {
    EXPECT_NE(grads[table.offset + j], 0.0);
    EXPECT_EQ(grads[table.offset + table.dim + j], 0.0);
    EXPECT_NE(grads[table.offset + 2 * table.dim + j], 0.0);
  }
}

// 60 labelled 28x28 images in 3 classes, and a small conditional DCGAN.
std::string run_flags(const ScratchDir& dir) {
  if (!fs::exists(dir.path("data/train-images-idx3-ubyte"))) {
    fs::create_directories(dir.path("data"));
    testing::write_bytes(dir.path("data/train-images-idx3-ubyte"), testing::make_idx_images(60, 28, 28, 4));
    std::vector<uint8_t> labels(60);
    for (size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<uint8_t>((i * 5) % 3);
    testing::write_bytes(dir.path("data/train-labels-idx1-ubyte"), encode_idx({60}, labels.data()));
  }
  return "--device cpu --data " + dir.path("data") +
         " --model dcgan --dcgan-channels 8,4 --batch 8 --log-every 3 --sample-every 0 --conditional";
}

TEST(ConditionalDcganCli, TrainsResumesExactlyAndSamplesByClass) {
  ScratchDir dir;
  const std::string flags = run_flags(dir);
  const auto first = run_gan("train " + flags + " --out " + dir.path("a") + " --steps 4 --checkpoint-every 0");
  ASSERT_EQ(first.exit_code, 0) << first.output;
  ASSERT_EQ(run_gan("train --resume " + dir.path("a") + " --steps 9").exit_code, 0);
  ASSERT_EQ(run_gan("train " + flags + " --out " + dir.path("b") + " --steps 9").exit_code, 0);
  ModelSpec spec;
  const Checkpoint a = load_checkpoint(dir.path("a/last.safetensors"), &spec);
  const Checkpoint b = load_checkpoint(dir.path("b/last.safetensors"), nullptr);
  EXPECT_EQ(spec.kind, ModelKind::kDcgan);
  EXPECT_EQ(spec.classes, 3);
  EXPECT_EQ(a.state.generator.params, b.state.generator.params);
  EXPECT_EQ(a.state.generator.buffers, b.state.generator.buffers);
  EXPECT_EQ(a.state.discriminator.params, b.state.discriminator.params);
  EXPECT_EQ(a.state.discriminator.exp_avg, b.state.discriminator.exp_avg);
  const SafetensorsFile file = read_safetensors(dir.path("a/last.safetensors"));
  EXPECT_EQ(file.get("generator.label_emb.weight", {3, 3}).data.size(), 9u);
  EXPECT_EQ(file.get("discriminator.label_projection.weight", {3, 8 * 49}).data.size(), 3u * 8 * 49);
  // sample --class: the images asked for class 2 in both files share their noise and agree;
  // the others (class 0) differ.
  ASSERT_EQ(run_gan("sample --checkpoint " + dir.path("a") + " --class 2 --n 6 --out " + dir.path("two.idx")).exit_code, 0);
  ASSERT_EQ(run_gan("sample --checkpoint " + dir.path("a") + " --class 2,0 --n 6 --out " + dir.path("mixed.idx")).exit_code,
            0);
  const auto twos = read_whole_file(dir.path("two.idx")), mixed = read_whole_file(dir.path("mixed.idx"));
  ASSERT_EQ(twos.size(), mixed.size());
  const size_t header = twos.size() - 6 * 784;
  auto image = [&](const std::vector<uint8_t>& f, size_t i) {
    return std::vector<uint8_t>(f.begin() + header + i * 784, f.begin() + header + (i + 1) * 784);
  };
  EXPECT_EQ(image(twos, 0), image(mixed, 0));
  EXPECT_NE(image(twos, 1), image(mixed, 1));
  const auto grid = run_gan("sample --checkpoint " + dir.path("a") + " --grid-by-class --out " + dir.path("grid.png"));
  EXPECT_EQ(grid.exit_code, 0) << grid.output;
}

}  // namespace
}  // namespace gan
