// The hinge loss (--loss hinge, issue 31): the ops' values and subgradients by hand, against
// central differences in double (through a whole D and G step: test_ops_gradients.cpp), and the trainer
// from the command line: the run's files say hinge, a resume is bitwise the uninterrupted run, a
// resume may not change the loss, and the GPU takes it (kernels/hinge.cu; its kernel check is
// GpuHinge in tests/gpu/, its step the recorder's). (Its PyTorch
// replay, MLP and DCGANs, is the ctest TorchParity.HingeLossReplaysInPyTorch.)
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "cpu/ops.h"
#include "test_util.h"
#include "train/checkpoint.h"
#include "train/config.h"

namespace gan {
namespace {

using testing::expect_gpu_takes;
using testing::file_text;
using testing::max_relative_error;
using testing::numeric_gradient;
using testing::random_vector;
using testing::run_gan;
using testing::ScratchDir;
using testing::small_run_flags;

TEST(HingeLoss, DiscriminatorValuesAndSubgradientsByHand) {
  // Real logits: inside the margin, beyond it, exactly on the kink (PyTorch's relu: 0 there).
  // Fake logits: beyond the margin, inside it, on the kink, far inside.
  const std::vector<double> logits = {0.25, 3.0, 1.0, -2.0, 0.5, -1.0, 4.0};
  const int64_t n_real = 3, n_fake = 4;
  std::vector<double> dlogit(logits.size(), NAN);
  const BceStats s = hinge_discriminator(logits.data(), n_real, n_fake, dlogit.data());
  EXPECT_DOUBLE_EQ(s.loss_real, (0.75 + 0 + 0) / 3);
  EXPECT_DOUBLE_EQ(s.loss_fake, (0 + 1.5 + 0 + 5.0) / 4);
  EXPECT_DOUBLE_EQ(s.prob_real, (0.25 + 3.0 + 1.0) / 3);  // the mean raw logit
  EXPECT_DOUBLE_EQ(s.prob_fake, (-2.0 + 0.5 - 1.0 + 4.0) / 4);
  const std::vector<double> expected = {-1.0 / 3, 0, 0, 0, 0.25, 0, 0.25};
  for (size_t i = 0; i < logits.size(); ++i) EXPECT_EQ(dlogit[i], expected[i]) << "logit " << i;
}

TEST(HingeLoss, GeneratorIsMinusTheMeanLogit) {
  const std::vector<double> logits = {0.5, -3.0, 2.0, 7.5, -0.25};
  std::vector<double> dlogit(logits.size(), NAN);
  const BceStats s = hinge_generator(logits.data(), 5, dlogit.data());
  EXPECT_DOUBLE_EQ(s.loss_real, -(0.5 - 3.0 + 2.0 + 7.5 - 0.25) / 5);
  EXPECT_DOUBLE_EQ(s.prob_real, (0.5 - 3.0 + 2.0 + 7.5 - 0.25) / 5);
  for (double d : dlogit) EXPECT_EQ(d, -0.2);
}

TEST(HingeLoss, GradientsAreTheFiniteDifferencesAwayFromTheKinks) {
  auto logits = random_vector<double>(13, 71, -3, 3);
  for (auto& x : logits) {  // keep every logit 0.05 or more from the kinks at -1 and 1
    if (std::abs(std::abs(x) - 1) < 0.05) x += 0.1;
  }
  const int64_t n_real = 6, n_fake = 7;
  auto d_loss = [&] {
    std::vector<double> d(logits.size());
    const BceStats s = discriminator_loss(AdversarialLoss::kHinge, logits.data(), n_real, n_fake, d.data());
    return s.loss_real + s.loss_fake;
  };
  std::vector<double> dlogit(logits.size(), NAN);
  discriminator_loss(AdversarialLoss::kHinge, logits.data(), n_real, n_fake, dlogit.data());
  EXPECT_LT(max_relative_error(dlogit, numeric_gradient(logits, d_loss)), 1e-8);

  auto g_loss = [&] {
    std::vector<double> d(logits.size());
    return generator_loss(AdversarialLoss::kHinge, logits.data(), 13, d.data()).loss_real;
  };
  generator_loss(AdversarialLoss::kHinge, logits.data(), 13, dlogit.data());
  EXPECT_LT(max_relative_error(dlogit, numeric_gradient(logits, g_loss)), 1e-8);
}

TEST(HingeLoss, TheChoiceDispatchesAndBceIsTheSeeds) {
  const std::vector<double> logits = {0.3, -0.7, 1.9, -2.4};
  std::vector<double> a(4), b(4);
  const BceStats bce = discriminator_loss(AdversarialLoss::kBce, logits.data(), 2, 2, a.data());
  const BceStats seed = bce_with_logits(logits.data(), 2, 2, b.data());
  EXPECT_EQ(bce.loss_real, seed.loss_real);
  EXPECT_EQ(bce.loss_fake, seed.loss_fake);
  EXPECT_EQ(a, b);
  const BceStats hinge = discriminator_loss(AdversarialLoss::kHinge, logits.data(), 2, 2, a.data());
  EXPECT_NE(hinge.loss_real, seed.loss_real);
  generator_loss(AdversarialLoss::kBce, logits.data(), 4, a.data());
  bce_with_logits(logits.data(), 4, 0, b.data());
  EXPECT_EQ(a, b);
}

TEST(HingeCli, TrainsResumesBitwiseAndRecordsTheLoss) {
  ScratchDir dir;
  const std::string flags = small_run_flags(dir, "1e-2") + " --loss hinge";
  const auto first = run_gan("train " + flags + " --out " + dir.path("a") + " --steps 13");
  ASSERT_EQ(first.exit_code, 0) << first.output;
  const auto resumed = run_gan("train --resume " + dir.path("a") + " --steps 30");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  ASSERT_EQ(run_gan("train " + flags + " --out " + dir.path("b") + " --steps 30").exit_code, 0);
  ModelSpec spec;
  const Checkpoint a = load_checkpoint(dir.path("a/last.safetensors"), &spec);
  const Checkpoint b = load_checkpoint(dir.path("b/last.safetensors"), nullptr);
  EXPECT_EQ(spec.loss, AdversarialLoss::kHinge);
  EXPECT_EQ(a.state.generator.params, b.state.generator.params);
  EXPECT_EQ(a.state.discriminator.params, b.state.discriminator.params);
  EXPECT_NE(file_text(dir.path("a/config.json")).find("\"loss\": \"hinge\""), std::string::npos);

  // The same run under BCE is another run: the loss changes what the step computes.
  ASSERT_EQ(run_gan("train " + small_run_flags(dir, "1e-2") + " --out " + dir.path("c") + " --steps 30").exit_code, 0);
  const Checkpoint c = load_checkpoint(dir.path("c/last.safetensors"), &spec);
  EXPECT_EQ(spec.loss, AdversarialLoss::kBce);
  EXPECT_NE(c.state.generator.params, b.state.generator.params);

  // A resume may not change it.
  const auto changed = run_gan("train --resume " + dir.path("a") + " --steps 40 --loss bce");
  EXPECT_NE(changed.exit_code, 0);
  EXPECT_NE(changed.output.find("loss"), std::string::npos) << changed.output;
}

TEST(HingeCli, ABadValueIsRefusedByNameAndTheGpuTakesIt) {
  ScratchDir dir;
  const auto bad = run_gan("train " + small_run_flags(dir) + " --loss wasserstein --out " + dir.path("r") + " --steps 1");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find("wasserstein"), std::string::npos) << bad.output;
  EXPECT_NE(bad.output.find("hinge"), std::string::npos) << bad.output;  // the choices are named

  // The GPU has the loss's kernels: --device cuda is refused only where no GPU can run anything.
  expect_gpu_takes(dir, "--loss hinge", "\"loss\": \"hinge\"");
}

}  // namespace
}  // namespace gan
