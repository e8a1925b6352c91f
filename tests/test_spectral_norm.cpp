// Spectral norm on D (--spectral-norm, issue 31): the power iteration against a matrix whose
// singular values are known, the backward of W / sigma and of a whole D through normalised
// weights against central differences in double, which tensors are normalised and their
// PyTorch names, and the trainer from the command line: one power iteration per step, a resume
// bitwise the uninterrupted run, a resume that may not change it, the GPU's refusal. (Its
// PyTorch replay, MLP and DCGANs, is the ctest TorchParity.SpectralNormReplaysInPyTorch.)
#include <gtest/gtest.h>

#include <cmath>

#include "cpu/mlp.h"
#include "cpu/ops.h"
#include "cpu/spectral_norm.h"
#include "io/safetensors.h"
#include "model/spectral_norm.h"
#include "model/trainer_state.h"
#include "test_util.h"
#include "train/checkpoint.h"
#include "train/config.h"

namespace gan {
namespace {

using testing::expect_each_tensor_close;
using testing::expect_gpu_takes;
using testing::max_relative_error;
using testing::numeric_gradient;
using testing::random_vector;
using testing::run_gan;
using testing::ScratchDir;
using testing::small_run_flags;

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

void normalise(std::vector<double>* x) {
  const double norm = std::sqrt(dot(*x, *x));
  for (double& e : *x) e /= norm;
}

// n orthonormal vectors of length `length` (Gram-Schmidt on random ones).
std::vector<std::vector<double>> orthonormal(size_t n, size_t length, uint64_t seed) {
  std::vector<std::vector<double>> basis;
  for (size_t k = 0; k < n; ++k) {
    auto x = random_vector<double>(length, seed + k);
    for (const auto& b : basis) {
      const double along = dot(x, b);
      for (size_t i = 0; i < length; ++i) x[i] -= along * b[i];
    }
    normalise(&x);
    basis.push_back(x);
  }
  return basis;
}

TEST(SpectralNorm, PowerIterationFindsTheLargestSingularValue) {
  // W [5, 4] = sum_k s_k a_k b_k^T: its singular values are s, its top singular vectors a_0, b_0.
  const int64_t rows = 5, cols = 4;
  const std::vector<double> s = {3.0, 1.7, 0.6, 0.2};
  const auto a = orthonormal(4, rows, 10), b = orthonormal(4, cols, 20);
  std::vector<double> W(rows * cols, 0.0);
  for (size_t k = 0; k < s.size(); ++k) {
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t c = 0; c < cols; ++c) W[r * cols + c] += s[k] * a[k][r] * b[k][c];
    }
  }
  auto u = random_vector<double>(rows, 30), v = random_vector<double>(cols, 31);
  normalise(&u);
  normalise(&v);

  // One iteration is v = normalise(W^T u), then u = normalise(W v), by hand.
  std::vector<double> v1(cols, 0.0), u1(rows, 0.0);
  for (int64_t c = 0; c < cols; ++c) {
    for (int64_t r = 0; r < rows; ++r) v1[c] += W[r * cols + c] * u[r];
  }
  normalise(&v1);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) u1[r] += W[r * cols + c] * v1[c];
  }
  normalise(&u1);
  spectral_norm_power_iteration(W.data(), rows, cols, u.data(), v.data());
  EXPECT_LT(max_relative_error(u, u1), 1e-14);
  EXPECT_LT(max_relative_error(v, v1), 1e-14);
  // One iteration's sigma is below the top singular value (u . W v <= |W v| <= s_0).
  const double sigma1 = spectral_norm_sigma(W.data(), rows, cols, u.data(), v.data());
  EXPECT_GT(sigma1, 0.0);
  EXPECT_LE(sigma1, s[0] + 1e-12);

  // Iterated, sigma goes to s_0 and u, v to a_0, b_0 (up to one common sign).
  for (int i = 0; i < 60; ++i) spectral_norm_power_iteration(W.data(), rows, cols, u.data(), v.data());
  EXPECT_NEAR(spectral_norm_sigma(W.data(), rows, cols, u.data(), v.data()), s[0], 1e-10);
  EXPECT_NEAR(std::abs(dot(u, a[0])), 1.0, 1e-10);
  EXPECT_NEAR(dot(u, a[0]) * dot(v, b[0]), 1.0, 1e-10);

  // In float: the same to float's precision (the sums run in double).
  std::vector<float> Wf(W.begin(), W.end()), uf(rows, 0.0f), vf(cols, 0.0f);
  uf[0] = 1.0f;
  vf[0] = 1.0f;
  for (int i = 0; i < 60; ++i) spectral_norm_power_iteration(Wf.data(), rows, cols, uf.data(), vf.data());
  EXPECT_NEAR(spectral_norm_sigma(Wf.data(), rows, cols, uf.data(), vf.data()), 3.0f, 1e-5f);
}

TEST(SpectralNorm, BackwardIsTheGradientOfWOverSigmaWithUAndVHeld) {
  for (auto [rows, cols] : {std::pair<int64_t, int64_t>{4, 6}, {7, 1}, {1, 5}}) {
    SCOPED_TRACE(std::to_string(rows) + "x" + std::to_string(cols));
    auto W = random_vector<double>(rows * cols, 40);
    auto u = random_vector<double>(rows, 41), v = random_vector<double>(cols, 42);
    normalise(&u);
    normalise(&v);
    if (spectral_norm_sigma(W.data(), rows, cols, u.data(), v.data()) < 0) {
      for (double& x : u) x = -x;  // keep sigma away from 0 and positive, as the iteration leaves it
    }
    const auto weighting = random_vector<double>(rows * cols, 43);
    auto loss = [&] {  // L = sum(weighting * W / sigma(W))
      const double sigma = spectral_norm_sigma(W.data(), rows, cols, u.data(), v.data());
      double sum = 0;
      for (size_t i = 0; i < W.size(); ++i) sum += weighting[i] * W[i] / sigma;
      return sum;
    };
    std::vector<double> grad = weighting;  // dL / d(W / sigma)
    spectral_norm_backward(W.data(), rows, cols, u.data(), v.data(),
                           spectral_norm_sigma(W.data(), rows, cols, u.data(), v.data()), grad.data());
    EXPECT_LT(max_relative_error(grad, numeric_gradient(W, loss)), 1e-8);
  }
}

ModelSpec tiny_normalised_spec() {
  TrainConfig config = config_from_json(
      {{"latent_dim", 5}, {"g_hidden", {7, 6}}, {"d_hidden", {8, 3}}, {"spectral_norm", true}}, "test");
  return make_mlp_spec(config, 3, 4);  // 12-pixel images
}

// D's parameters and its u, v as a fresh run starts them, in double.
NetworkValues<double> fresh_discriminator(const ModelSpec& spec) {
  const TrainerState state = fresh_trainer_state(spec, 77);
  NetworkValues<double> d;
  d.params.assign(state.discriminator.params.begin(), state.discriminator.params.end());
  d.buffers.assign(state.discriminator.buffers.begin(), state.discriminator.buffers.end());
  return d;
}

TEST(SpectralNorm, DiscriminatorLossGradientThroughNormalisedWeights) {
  const ModelSpec spec = tiny_normalised_spec();
  const NetworkSpec& D = spec.discriminator;
  ASSERT_EQ(D.spectral_norm.size(), 3u);
  const int64_t B = 5;
  const auto input = random_vector<double>(2 * B * spec.image_size(), 41);
  NetworkValues<double> d = fresh_discriminator(spec);
  // One iteration first, as a step does; the finite differences then hold u and v.
  std::vector<double> own, sigmas;
  normalise_discriminator(D.spectral_norm, d, /*iterate=*/true, &own, &sigmas);
  d.params.swap(own);

  auto loss_value = [&] {
    NetworkValues<double> normalised = d;
    std::vector<double> kept, unused;
    normalise_discriminator(D.spectral_norm, normalised, /*iterate=*/false, &kept, &unused);
    MlpPass<double> pass;
    mlp_forward<double>(D, 0.2, normalised.params.data(), input.data(), 2 * B, &pass);
    std::vector<double> dlogit(2 * B);
    const BceStats s = discriminator_loss(AdversarialLoss::kBce, pass.output(), B, B, dlogit.data());
    return s.loss_real + s.loss_fake;
  };
  NetworkValues<double> normalised = d;
  normalise_discriminator(D.spectral_norm, normalised, /*iterate=*/false, &own, &sigmas);
  for (double sigma : sigmas) EXPECT_GT(sigma, 0.0);
  MlpPass<double> pass;
  mlp_forward<double>(D, 0.2, normalised.params.data(), input.data(), 2 * B, &pass);
  std::vector<double> dlogit(2 * B), grads(D.parameter_count, NAN);
  discriminator_loss(AdversarialLoss::kBce, pass.output(), B, B, dlogit.data());
  MlpScratch<double> scratch;
  mlp_backward<double>(D, 0.2, normalised.params.data(), pass, dlogit.data(), grads.data(), nullptr, &scratch);
  spectral_norm_gradients(D.spectral_norm, own, d.buffers, sigmas, grads.data());
  expect_each_tensor_close(D, grads, numeric_gradient(d.params, loss_value), 1e-7);
}

TEST(SpectralNorm, NormalisesEveryWeightOfDButItsLabelTablesUnderPyTorchsNames) {
  const ModelSpec mlp = tiny_normalised_spec();
  EXPECT_TRUE(mlp.generator.spectral_norm.empty());
  for (const auto& t : mlp.generator.tensors) EXPECT_EQ(state_dict_name(t), t.name);
  for (const auto& t : mlp.discriminator.tensors) {
    const bool weight = t.shape.size() == 2;
    EXPECT_EQ(t.spectral_norm, weight) << t.name;
    EXPECT_EQ(state_dict_name(t), weight ? t.name + "_orig" : t.name);
    if (!weight) continue;
    EXPECT_EQ(mlp.discriminator.buffer(t.name + "_u").shape, std::vector<int64_t>{t.shape[0]});
    EXPECT_EQ(mlp.discriminator.buffer(t.name + "_v").shape, std::vector<int64_t>{t.shape[1]});
  }

  // The conditional 32x32 colour DCGAN: conv weights read as [out, in * k * k]; BatchNorm's
  // weights (one dimension) and the projection's label table stay as they are.
  TrainConfig config = config_from_json({{"model", "dcgan"}, {"channels", 3}, {"image_size", 32},
                                         {"dcgan_channels", {8}}, {"conditional", true}, {"spectral_norm", true}},
                                        "test");
  ModelSpec dcgan = make_model_spec(config, 32, 32);
  int normalised = 0;
  for (const auto& t : dcgan.discriminator.tensors) {
    const bool expected = t.shape.size() >= 2 && t.name != "label_projection.weight";
    EXPECT_EQ(t.spectral_norm, expected) << t.name;
    normalised += expected;
  }
  ASSERT_EQ(dcgan.discriminator.spectral_norm.size(), static_cast<size_t>(normalised));
  const TensorSlot& first = dcgan.discriminator.tensor("main.0.weight");
  const SpectralNormLayer& layer = dcgan.discriminator.spectral_norm[0];
  EXPECT_EQ(layer.weight, first.offset);
  EXPECT_EQ(layer.rows, first.shape[0]);
  EXPECT_EQ(layer.cols, first.shape[1] * first.shape[2] * first.shape[3]);
  // BatchNorm's running statistics keep their places and names.
  EXPECT_NO_THROW(dcgan.discriminator.buffer("main.3.running_mean"));

  // u and v start as unit vectors, drawn from the seed.
  const TrainerState a = fresh_trainer_state(dcgan, 5), b = fresh_trainer_state(dcgan, 5), c = fresh_trainer_state(dcgan, 6);
  EXPECT_EQ(a.discriminator.buffers, b.discriminator.buffers);
  EXPECT_NE(a.discriminator.buffers, c.discriminator.buffers);
  for (const auto& l : dcgan.discriminator.spectral_norm) {
    for (auto [at, n] : {std::make_pair(l.u, l.rows), std::make_pair(l.v, l.cols)}) {
      double squares = 0;
      for (int64_t i = 0; i < n; ++i) squares += std::pow(a.discriminator.buffers[at + static_cast<size_t>(i)], 2);
      EXPECT_NEAR(squares, 1.0, 1e-6);
    }
  }
}

TEST(SpectralNormCli, OneIterationPerStepBitwiseResumeAndPyTorchNames) {
  ScratchDir dir;
  const std::string flags = small_run_flags(dir, "1e-2") + " --spectral-norm";

  // After one step, u and v are one power iteration of the first D on the first u and v.
  ASSERT_EQ(run_gan("train " + flags + " --out " + dir.path("one") + " --steps 1").exit_code, 0);
  ModelSpec spec;
  const Checkpoint one = load_checkpoint(dir.path("one/last.safetensors"), &spec);
  ASSERT_FALSE(spec.discriminator.spectral_norm.empty());
  TrainerState fresh = fresh_trainer_state(spec, one.config["seed"].get<uint64_t>());
  ASSERT_NE(fresh.discriminator.buffers, one.state.discriminator.buffers);
  for (const auto& l : spec.discriminator.spectral_norm) {
    spectral_norm_power_iteration(fresh.discriminator.params.data() + l.weight, l.rows, l.cols,
                                  fresh.discriminator.buffers.data() + l.u, fresh.discriminator.buffers.data() + l.v);
  }
  EXPECT_EQ(fresh.discriminator.buffers, one.state.discriminator.buffers);

  // The checkpoint stores them as PyTorch's state_dict does.
  const SafetensorsFile file = read_safetensors(dir.path("one/last.safetensors"));
  for (const char* name : {"discriminator.model.0.weight_orig", "discriminator.model.0.weight_u",
                           "discriminator.model.0.weight_v", "optimizer.discriminator.exp_avg.model.0.weight_orig"}) {
    EXPECT_EQ(file.tensors.count(name), 1u) << name;
  }
  EXPECT_EQ(file.tensors.count("discriminator.model.0.weight"), 0u);

  // A resume is bitwise the uninterrupted run.
  ASSERT_EQ(run_gan("train " + flags + " --out " + dir.path("a") + " --steps 13").exit_code, 0);
  const auto resumed = run_gan("train --resume " + dir.path("a") + " --steps 30");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  ASSERT_EQ(run_gan("train " + flags + " --out " + dir.path("b") + " --steps 30").exit_code, 0);
  const Checkpoint a = load_checkpoint(dir.path("a/last.safetensors"), nullptr);
  const Checkpoint b = load_checkpoint(dir.path("b/last.safetensors"), nullptr);
  EXPECT_EQ(a.state.generator.params, b.state.generator.params);
  EXPECT_EQ(a.state.discriminator.params, b.state.discriminator.params);
  EXPECT_EQ(a.state.discriminator.buffers, b.state.discriminator.buffers);

  // Without it the same run is another run.
  ASSERT_EQ(run_gan("train " + small_run_flags(dir, "1e-2") + " --out " + dir.path("c") + " --steps 30").exit_code, 0);
  ModelSpec plain;
  const Checkpoint c = load_checkpoint(dir.path("c/last.safetensors"), &plain);
  EXPECT_TRUE(plain.discriminator.spectral_norm.empty());
  EXPECT_NE(c.state.generator.params, b.state.generator.params);

  // A resume may not change it.
  const auto changed = run_gan("train --resume " + dir.path("a") + " --steps 40 --spectral-norm false");
  EXPECT_NE(changed.exit_code, 0);
  EXPECT_NE(changed.output.find("spectral_norm"), std::string::npos) << changed.output;
}

TEST(SpectralNormCli, TheGpuTakesIt) {
  ScratchDir dir;
  expect_gpu_takes(dir, "--spectral-norm", "\"spectral_norm\": true");
}

}  // namespace
}  // namespace gan
