// The canonical DCGAN at 32x32 and 64x64 (--model dcgan on such data, grey or colour): its
// spec is pytorch/examples' state_dict, its init the paper's, every gradient of both steps
// against finite differences, and the command line: colour images from a folder train, resume
// exactly and sample as an RGB grid.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "cpu/canonical_dcgan.h"
#include "io/png.h"
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

std::vector<int64_t> shape_of(const NetworkSpec& n, const std::string& name) { return n.tensor(name).shape; }

TEST(CanonicalDcgan, SpecIsPytorchExamplesStateDict) {
  const ModelSpec s64 = make_canonical_dcgan_spec(10, 8, 3, 64, 0.2f);
  EXPECT_TRUE(s64.dcgan.canonical());
  EXPECT_EQ(s64.image_size(), 3 * 64 * 64);
  EXPECT_EQ(shape_of(s64.generator, "main.0.weight"), (std::vector<int64_t>{10, 64, 4, 4}));
  EXPECT_EQ(shape_of(s64.generator, "main.1.weight"), (std::vector<int64_t>{64}));
  EXPECT_EQ(shape_of(s64.generator, "main.3.weight"), (std::vector<int64_t>{64, 32, 4, 4}));
  EXPECT_EQ(shape_of(s64.generator, "main.9.weight"), (std::vector<int64_t>{16, 8, 4, 4}));
  EXPECT_EQ(shape_of(s64.generator, "main.12.weight"), (std::vector<int64_t>{8, 3, 4, 4}));
  EXPECT_EQ(s64.generator.buffer("main.10.running_var").shape, (std::vector<int64_t>{8}));
  EXPECT_EQ(shape_of(s64.discriminator, "main.0.weight"), (std::vector<int64_t>{8, 3, 4, 4}));
  EXPECT_EQ(shape_of(s64.discriminator, "main.3.weight"), (std::vector<int64_t>{16}));
  EXPECT_EQ(shape_of(s64.discriminator, "main.8.weight"), (std::vector<int64_t>{64, 32, 4, 4}));
  EXPECT_EQ(shape_of(s64.discriminator, "main.11.weight"), (std::vector<int64_t>{1, 64, 4, 4}));
  // No conv has a bias; 5 convolutions and 4 BatchNorms in G, 5 and 3 in D.
  EXPECT_EQ(s64.generator.tensors.size(), 5u + 2 * 4);
  EXPECT_EQ(s64.discriminator.tensors.size(), 5u + 2 * 3);
  const ModelSpec s32 = make_canonical_dcgan_spec(10, 8, 1, 32, 0.2f);
  EXPECT_EQ(shape_of(s32.generator, "main.0.weight"), (std::vector<int64_t>{10, 32, 4, 4}));
  EXPECT_EQ(shape_of(s32.generator, "main.9.weight"), (std::vector<int64_t>{8, 1, 4, 4}));
  EXPECT_EQ(shape_of(s32.discriminator, "main.8.weight"), (std::vector<int64_t>{1, 32, 4, 4}));
  // The layers' geometry: G from 1 x 1 to 64 x 64, D from 64 x 64 to one logit.
  const std::vector<CanonicalLayer> g = canonical_layers(s64, true), d = canonical_layers(s64, false);
  ASSERT_EQ(g.size(), 5u);
  EXPECT_EQ(g.front().shape.out_height(), 1);
  EXPECT_EQ(g.back().output_size(), 3 * 64 * 64);
  EXPECT_EQ(g.back().activation, Activation::kTanh);
  EXPECT_EQ(d.back().output_size(), 1);
  EXPECT_FALSE(d.front().batch_norm);
  EXPECT_TRUE(d[1].batch_norm);
}

TEST(CanonicalDcgan, InitIsThePapersNormalLaws) {
  const ModelSpec spec = make_canonical_dcgan_spec(100, 16, 3, 64, 0.2f);
  std::vector<float> p(spec.generator.parameter_count), b(spec.generator.buffer_count);
  init_dcgan_network(spec.generator, 0, 5, p.data(), b.data());
  auto moments = [&](const std::string& name) {
    const TensorSlot& t = spec.generator.tensor(name);
    double sum = 0, squares = 0;
    for (size_t e = 0; e < t.size; ++e) sum += p[t.offset + e];
    const double mean = sum / double(t.size);
    for (size_t e = 0; e < t.size; ++e) squares += (p[t.offset + e] - mean) * (p[t.offset + e] - mean);
    return std::make_pair(mean, std::sqrt(squares / double(t.size)));
  };
  const auto [w_mean, w_std] = moments("main.0.weight");  // 100 x 128 x 16 values
  EXPECT_NEAR(w_mean, 0.0, 0.001);
  EXPECT_NEAR(w_std, 0.02, 0.001);
  const auto [g_mean, g_std] = moments("main.1.weight");  // 128 values
  EXPECT_NEAR(g_mean, 1.0, 0.01);
  EXPECT_NEAR(g_std, 0.02, 0.006);
  const TensorSlot& beta = spec.generator.tensor("main.1.bias");
  for (size_t e = 0; e < beta.size; ++e) EXPECT_EQ(p[beta.offset + e], 0.0f);
  EXPECT_EQ(b[spec.generator.buffer("main.1.running_var").offset], 1.0f);
}

template <class T>
NetworkValues<T> values_of(const NetworkSpec& network, uint32_t index) {
  std::vector<float> p(network.parameter_count), b(network.buffer_count);
  init_dcgan_network(network, index, 9, p.data(), b.data());
  NetworkValues<T> v;
  v.params.assign(p.begin(), p.end());
  v.buffers.assign(b.begin(), b.end());
  // Spread the weights so that the logits are not all near zero (N(0, 0.02) is a small start).
  for (T& x : v.params) x *= T(8);
  return v;
}

// Every tensor of the network, probed at testing::probe_indices.
double every_gradient_error(const NetworkSpec& network, std::vector<double>& values, const std::vector<double>& analytic,
                            const std::function<double()>& loss) {
  return testing::finite_difference_error(values, analytic, testing::probe_indices(network.tensors), loss);
}

// 32 x 32, 3 channels, width 2, latent 4, batch 3, in double through the plain loops.
struct SmallCanonical {
  ModelSpec spec = make_canonical_dcgan_spec(4, 2, 3, 32, 0.2f);
  int64_t B = 3;
  NetworkValues<double> g = values_of<double>(spec.generator, 0), d = values_of<double>(spec.discriminator, 1);
  std::vector<double> z = random_vector<double>(static_cast<size_t>(B * 4), 21, -2, 2);
  std::vector<double> real = random_vector<double>(static_cast<size_t>(B * 3 * 32 * 32), 22);
};

TEST(CanonicalDcgan, DiscriminatorStepGradientsMatchFiniteDifferences) {
  SmallCanonical m;
  CanonicalDcganCpuModel<double> model(m.spec, ConvCode::kLoops);
  std::vector<double> grads(m.spec.discriminator.parameter_count, NAN), scratch(grads.size());
  model.discriminator_step(m.B, m.real.data(), m.z.data(), {}, m.g, m.d, grads.data());
  auto loss = [&] {
    const DiscriminatorLosses l = model.discriminator_step(m.B, m.real.data(), m.z.data(), {}, m.g, m.d, scratch.data());
    return l.real_half.loss_real + l.fake_half.loss_fake;
  };
  EXPECT_LT(every_gradient_error(m.spec.discriminator, m.d.params, grads, loss), 1e-6);
}

TEST(CanonicalDcgan, GeneratorStepGradientsMatchFiniteDifferences) {
  SmallCanonical m;
  CanonicalDcganCpuModel<double> model(m.spec, ConvCode::kLoops);
  std::vector<double> grads(m.spec.generator.parameter_count, NAN), scratch(grads.size());
  model.generator_step(m.B, m.z.data(), nullptr, m.g, m.d, grads.data());
  auto loss = [&] { return model.generator_step(m.B, m.z.data(), nullptr, m.g, m.d, scratch.data()).loss_real; };
  EXPECT_LT(every_gradient_error(m.spec.generator, m.g.params, grads, loss), 1e-6);
}

// The conditional model: 32 x 32 x 3, 3 classes with a 2-wide label table, the same sizes.
struct SmallConditionalCanonical : SmallCanonical {
  SmallConditionalCanonical() {
    spec = make_canonical_dcgan_spec(4, 2, 3, 32, 0.2f, 3, 2);
    g = values_of<double>(spec.generator, 0);
    d = values_of<double>(spec.discriminator, 1);
  }
  std::vector<int32_t> real_labels = {2, 0, 2}, fake_labels = {1, 1, 0};
  StepLabels labels() const { return {real_labels.data(), fake_labels.data(), fake_labels.data()}; }
};

TEST(CanonicalDcgan, ConditionalSpecAddsTheLabelTableAndTheProjection) {
  const ModelSpec spec = make_canonical_dcgan_spec(100, 8, 3, 64, 0.2f, 5, 0);
  EXPECT_EQ(spec.generator.tensors.front().name, "label_emb.weight");
  EXPECT_EQ(shape_of(spec.generator, "label_emb.weight"), (std::vector<int64_t>{5, 5}));
  EXPECT_EQ(shape_of(spec.generator, "main.0.weight"), (std::vector<int64_t>{105, 64, 4, 4}));
  EXPECT_EQ(spec.discriminator.tensors.back().name, "label_projection.weight");
  EXPECT_EQ(shape_of(spec.discriminator, "label_projection.weight"), (std::vector<int64_t>{5, 64 * 16}));
  EXPECT_EQ(spec.discriminator.projection.features, 64 * 16);
  EXPECT_EQ(canonical_layers(spec, true).size(), 5u);  // the tables are not layers
  EXPECT_EQ(canonical_layers(spec, false).size(), 5u);
}

TEST(CanonicalDcgan, ConditionalStepGradientsMatchFiniteDifferences) {
  SmallConditionalCanonical m;
  CanonicalDcganCpuModel<double> model(m.spec, ConvCode::kLoops);
  std::vector<double> d_grads(m.spec.discriminator.parameter_count, NAN), scratch(d_grads.size());
  model.discriminator_step(m.B, m.real.data(), m.z.data(), m.labels(), m.g, m.d, d_grads.data());
  auto d_loss = [&] {
    const DiscriminatorLosses l =
        model.discriminator_step(m.B, m.real.data(), m.z.data(), m.labels(), m.g, m.d, scratch.data());
    return l.real_half.loss_real + l.fake_half.loss_fake;
  };
  // The projection table's gradient is not zero (the term is in the loss), and it matches.
  const TensorSlot& projection = m.spec.discriminator.tensor("label_projection.weight");
  double norm = 0;
  for (size_t e = 0; e < projection.size; ++e) norm += std::fabs(d_grads[projection.offset + e]);
  EXPECT_GT(norm, 1e-3);
  EXPECT_LT(every_gradient_error(m.spec.discriminator, m.d.params, d_grads, d_loss), 1e-6);

  std::vector<double> g_grads(m.spec.generator.parameter_count, NAN), g_scratch(g_grads.size());
  model.generator_step(m.B, m.z.data(), m.fake_labels.data(), m.g, m.d, g_grads.data());
  auto g_loss = [&] {
    return model.generator_step(m.B, m.z.data(), m.fake_labels.data(), m.g, m.d, g_scratch.data()).loss_real;
  };
  // Class 2 is asked for by no row of the G step: its table row gets exactly zero.
  const TensorSlot& table = m.spec.generator.tensor("label_emb.weight");
  EXPECT_EQ(g_grads[table.offset + 2 * 2], 0.0);
  EXPECT_NE(g_grads[table.offset + 1 * 2], 0.0);
  EXPECT_LT(every_gradient_error(m.spec.generator, m.g.params, g_grads, g_loss), 1e-6);
}

TEST(CanonicalDcgan, GemmAndLoopConvolutionsAgree) {
  const ModelSpec spec = make_canonical_dcgan_spec(5, 3, 3, 64, 0.2f);
  NetworkValues<float> g = values_of<float>(spec.generator, 0);
  const std::vector<float> z = random_vector<float>(4 * 5, 31);
  std::vector<float> a(static_cast<size_t>(4 * spec.image_size())), b(a.size());
  CanonicalDcganCpuModel<float>(spec, ConvCode::kGemm).generate(g, z.data(), nullptr, 4, a.data());
  CanonicalDcganCpuModel<float>(spec, ConvCode::kLoops).generate(g, z.data(), nullptr, 4, b.data());
  // Two float summation orders through five layers (a wrong geometry would differ by O(1)).
  EXPECT_LT(testing::max_relative_error(a, b), 1e-3);
}

// 40 colour images (RGB PNGs of 40 x 48, resized and cropped to 32 x 32) in two classes.
std::string colour_folder(const ScratchDir& dir) {
  for (int i = 0; i < 40; ++i) {
    std::vector<uint8_t> rgb(40 * 48 * 3);
    for (size_t p = 0; p < rgb.size(); ++p) rgb[p] = static_cast<uint8_t>((p * (7 + i) + i * 31) % 256);
    const std::string path = dir.path(std::string(i % 2 ? "red" : "blue") + "/" + std::to_string(i) + ".png");
    fs::create_directories(fs::path(path).parent_path());
    testing::write_bytes(path, encode_png_rgb(rgb.data(), 40, 48));
  }
  return dir.path();
}

TEST(CanonicalDcganCli, ColourFolderTrainsResumesExactlyAndSamplesInColour) {
  ScratchDir dir, data;
  const std::string common = " --device cpu --data " + colour_folder(data) +
                             " --channels 3 --model dcgan --dcgan-channels 4 --batch 8 --log-every 3 --sample-every 0";
  const std::string flags = common + " --image-size 32";
  const auto first = run_gan("train" + flags + " --out " + dir.path("a") + " --steps 4 --checkpoint-every 0");
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_NE(first.output.find("32x32x3"), std::string::npos) << first.output;
  ASSERT_EQ(run_gan("train --resume " + dir.path("a") + " --steps 7").exit_code, 0);
  ASSERT_EQ(run_gan("train" + flags + " --out " + dir.path("b") + " --steps 7").exit_code, 0);
  ModelSpec spec;
  const Checkpoint a = load_checkpoint(dir.path("a/last.safetensors"), &spec);
  const Checkpoint b = load_checkpoint(dir.path("b/last.safetensors"), nullptr);
  EXPECT_TRUE(spec.dcgan.canonical());
  EXPECT_EQ(spec.channels, 3);
  EXPECT_EQ(a.state.generator.params, b.state.generator.params);
  EXPECT_EQ(a.state.generator.buffers, b.state.generator.buffers);
  EXPECT_EQ(a.state.discriminator.exp_avg_sq, b.state.discriminator.exp_avg_sq);
  // A colour grid: PNG colour type 2 (RGB), 3 x 3 images of 32 with 2-pixel gaps.
  const auto sample = run_gan("sample --checkpoint " + dir.path("a") + " --n 9 --out " + dir.path("grid.png"));
  ASSERT_EQ(sample.exit_code, 0) << sample.output;
  const std::vector<uint8_t> png = read_whole_file(dir.path("grid.png"));
  ASSERT_GT(png.size(), 26u);
  EXPECT_EQ(png[25], 2);
  EXPECT_EQ(png[19], 3 * 34 + 2);  // the width's low byte: 104
  // What cannot be done says so.
  const auto idx = run_gan("sample --checkpoint " + dir.path("a") + " --n 4 --out " + dir.path("x.idx"));
  EXPECT_NE(idx.exit_code, 0);
  EXPECT_NE(idx.output.find("colour"), std::string::npos) << idx.output;
  // gan eval measures colour with a classifier of the folder's two classes.
  const auto eval = run_gan("eval --checkpoint " + dir.path("a") + " --n 10 --cache-dir " + dir.path("cache"));
  EXPECT_EQ(eval.exit_code, 0) << eval.output;
  EXPECT_NE(eval.output.find("measured with: domain classifier on 2 classes"), std::string::npos) << eval.output;
  const auto odd = run_gan("train" + common + " --image-size 40 --steps 1 --out " + dir.path("c"));
  EXPECT_NE(odd.exit_code, 0);
  EXPECT_NE(odd.output.find("32x32 and 64x64"), std::string::npos) << odd.output;
}

// --conditional at 32 x 32 in colour: the folder's two classes become labels; the run resumes
// exactly, and `--class` and `--grid-by-class` draw from it.
TEST(CanonicalDcganCli, ConditionalColourFolderResumesExactlyAndSamplesByClass) {
  ScratchDir dir, data;
  const std::string flags = " --device cpu --data " + colour_folder(data) +
                            " --image-size 32 --channels 3 --model dcgan --dcgan-channels 4 --batch 8 --log-every 3 "
                            "--sample-every 0 --conditional";
  const auto first = run_gan("train" + flags + " --out " + dir.path("a") + " --steps 3 --checkpoint-every 0");
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_NE(first.output.find("conditional"), std::string::npos) << first.output;
  ASSERT_EQ(run_gan("train --resume " + dir.path("a") + " --steps 6").exit_code, 0);
  ASSERT_EQ(run_gan("train" + flags + " --out " + dir.path("b") + " --steps 6").exit_code, 0);
  ModelSpec spec;
  const Checkpoint a = load_checkpoint(dir.path("a/last.safetensors"), &spec);
  const Checkpoint b = load_checkpoint(dir.path("b/last.safetensors"), nullptr);
  EXPECT_EQ(spec.classes, 2);
  EXPECT_EQ(a.state.generator.params, b.state.generator.params);
  EXPECT_EQ(a.state.discriminator.params, b.state.discriminator.params);
  EXPECT_EQ(a.state.discriminator.buffers, b.state.discriminator.buffers);
  const auto one = run_gan("sample --checkpoint " + dir.path("a") + " --class 1 --n 4 --out " + dir.path("one.png"));
  ASSERT_EQ(one.exit_code, 0) << one.output;
  const auto rows = run_gan("sample --checkpoint " + dir.path("a") + " --grid-by-class --columns 3 --out " +
                            dir.path("rows.png"));
  ASSERT_EQ(rows.exit_code, 0) << rows.output;
  const auto [width, height] = testing::png_size(dir.path("rows.png"));
  EXPECT_EQ(height, 2 * (32 + 2) + 2);  // one row per class
  EXPECT_EQ(width, 3 * (32 + 2) + 2);
}

// The same at 64 x 64 (one stage more in each network): an exact resume.
TEST(CanonicalDcganCli, SixtyFourPixelsResumeExactly) {
  ScratchDir dir, data;
  const std::string flags = " --device cpu --data " + colour_folder(data) +
                            " --image-size 64 --channels 3 --model dcgan --dcgan-channels 2 --batch 4 --log-every 3 "
                            "--sample-every 0";
  ASSERT_EQ(run_gan("train" + flags + " --out " + dir.path("a") + " --steps 2 --checkpoint-every 0").exit_code, 0);
  ASSERT_EQ(run_gan("train --resume " + dir.path("a") + " --steps 4").exit_code, 0);
  const auto whole = run_gan("train" + flags + " --out " + dir.path("b") + " --steps 4");
  ASSERT_EQ(whole.exit_code, 0) << whole.output;
  EXPECT_NE(whole.output.find("64x64x3"), std::string::npos) << whole.output;
  const Checkpoint a = load_checkpoint(dir.path("a/last.safetensors"), nullptr);
  const Checkpoint b = load_checkpoint(dir.path("b/last.safetensors"), nullptr);
  EXPECT_EQ(a.state.generator.params, b.state.generator.params);
  EXPECT_EQ(a.state.discriminator.buffers, b.state.discriminator.buffers);
}

}  // namespace
}  // namespace gan
