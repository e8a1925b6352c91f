// DiffAugment (--augment, issue 31): the policy's spelling, the draws (reproducible, inside the
// original's ranges, covering them), each transform by hand, the backward against central
// differences in double for every policy, and the trainer from the command line: a resume is
// bitwise the uninterrupted run, a resume may not change the policy, bad values and the GPU are
// refused by name. (Its PyTorch replay, MLP and DCGANs, is the ctest
// TorchParity.DiffAugmentReplaysInPyTorch.)
#include <gtest/gtest.h>

#include <set>

#include "cpu/augment.h"
#include "model/augment.h"
#include "test_util.h"
#include "train/checkpoint.h"

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

TEST(DiffAugment, PolicyIsAListOfThreeTransformsInOneOrder) {
  AugmentPolicy p;
  EXPECT_EQ(parse_augment_policy("color,translation,cutout", &p), "");
  EXPECT_TRUE(p.color && p.translation && p.cutout);
  EXPECT_EQ(parse_augment_policy("color,cutout", &p), "");
  EXPECT_EQ(augment_policy_name(p), "color,cutout");
  // The original applies a list in its order, ours in one order: another order is refused.
  EXPECT_NE(parse_augment_policy("cutout,color", &p).find("out of order"), std::string::npos);
  EXPECT_NE(parse_augment_policy("translation,color", &p).find("'color' out of order"), std::string::npos);
  for (const char* none : {"", "none"}) {
    EXPECT_EQ(parse_augment_policy(none, &p), "");
    EXPECT_FALSE(p.any());
    EXPECT_EQ(augment_policy_name(p), "none");
  }
  EXPECT_NE(parse_augment_policy("colour", &p).find("'colour'"), std::string::npos);
  EXPECT_NE(parse_augment_policy("color,color", &p).find("twice"), std::string::npos);
  EXPECT_NE(parse_augment_policy("color,", &p), "");
  EXPECT_NE(parse_augment_policy("color,,cutout", &p), "");
}

TEST(DiffAugment, DrawsAreReproducibleAndCoverTheOriginalsRanges) {
  struct Size {
    int64_t h, w, shift_h, shift_w, last_row, last_col;  // shifts in -s..s, centres in 0..last
  };
  // 28: shift int(3.5 + 0.5) = 4, cutout 14 (even: centres 0..28); 5x7: shifts 1, 1, cutouts 3
  // (odd: 0..4) and 4 (even: 0..7).
  for (const Size& size : {Size{28, 28, 4, 4, 28, 28}, Size{32, 32, 4, 4, 32, 32}, Size{5, 7, 1, 1, 4, 7}}) {
    SCOPED_TRACE(std::to_string(size.h) + "x" + std::to_string(size.w));
    EXPECT_EQ(augment_max_shift(size.h), size.shift_h);
    const int64_t B = 2000;
    std::vector<float> a(B * kAugmentDraws), b(B * kAugmentDraws), other_site(B * kAugmentDraws),
        other_step(B * kAugmentDraws);
    fill_augment_draws(3, 17, AugmentSite::kFakeD, B, size.h, size.w, a.data());
    fill_augment_draws(3, 17, AugmentSite::kFakeD, B, size.h, size.w, b.data());
    fill_augment_draws(3, 17, AugmentSite::kFakeG, B, size.h, size.w, other_site.data());
    fill_augment_draws(3, 18, AugmentSite::kFakeD, B, size.h, size.w, other_step.data());
    EXPECT_EQ(a, b);
    EXPECT_NE(a, other_site);
    EXPECT_NE(a, other_step);
    const int64_t low[] = {0, 0, 0, -size.shift_h, -size.shift_w, 0, 0};
    const int64_t high[] = {0, 0, 0, size.shift_h, size.shift_w, size.last_row, size.last_col};
    for (int64_t k = 0; k < kAugmentDraws; ++k) {
      double sum = 0;
      std::set<float> seen;
      for (int64_t i = 0; i < B; ++i) {
        const float x = a[i * kAugmentDraws + k];
        sum += x;
        seen.insert(x);
        if (k < 3) {
          ASSERT_TRUE(x >= 0.0f && x < 1.0f) << "draw " << k << ": " << x;
        } else {
          ASSERT_EQ(x, std::floor(x)) << "draw " << k;
          ASSERT_TRUE(x >= low[k] && x <= high[k]) << "draw " << k << ": " << x;
        }
      }
      if (k < 3) {
        EXPECT_NEAR(sum / B, 0.5, 0.03) << "draw " << k;  // U[0, 1): mean 0.5, sd of the mean 0.0065
      } else {
        EXPECT_EQ(static_cast<int64_t>(seen.size()), high[k] - low[k] + 1) << "draw " << k;  // every value
      }
    }
  }
}

// One image's draws: brightness, saturation, contrast, row shift, column shift, cutout centre.
std::vector<float> draws_of(float brightness, float saturation, float contrast, float dr, float dc, float cr,
                            float cc) {
  return {brightness, saturation, contrast, dr, dc, cr, cc};
}

TEST(DiffAugment, EachTransformByHand) {
  const int64_t H = 4, W = 4;
  std::vector<double> x(H * W);
  for (int64_t i = 0; i < H * W; ++i) x[i] = static_cast<double>(i + 1);  // 1..16, row-major
  std::vector<double> y(x.size());

  // Translation by (+1, -1): y[r][c] = x[r+1][c-1], zero where that is outside.
  AugmentPolicy translation;
  translation.translation = true;
  auto d = draws_of(0.5f, 0.5f, 0.5f, 1, -1, 0, 0);
  diff_augment(translation, d.data(), 1, 1, H, W, x.data(), y.data());
  const std::vector<double> shifted = {0, 5, 6, 7, 0, 9, 10, 11, 0, 13, 14, 15, 0, 0, 0, 0};
  EXPECT_EQ(y, shifted);

  // Cutout: a 2x2 square centred at (0, 3): rows clamp(-1 + i) = {0, 0}, columns {2, 3}.
  AugmentPolicy cutout;
  cutout.cutout = true;
  d = draws_of(0.5f, 0.5f, 0.5f, 0, 0, 0, 3);
  diff_augment(cutout, d.data(), 1, 1, H, W, x.data(), y.data());
  std::vector<double> cut = x;
  cut[2] = cut[3] = 0;
  EXPECT_EQ(y, cut);

  // Colour on a grey image: brightness 0.75 - 0.5 = +0.25; saturation does nothing to one channel;
  // contrast 0 + 0.5 halves every distance from the mean (8.5 + 0.25).
  AugmentPolicy color;
  color.color = true;
  d = draws_of(0.75f, 0.9f, 0.0f, 0, 0, 0, 0);
  diff_augment(color, d.data(), 1, 1, H, W, x.data(), y.data());
  for (int64_t i = 0; i < H * W; ++i) EXPECT_DOUBLE_EQ(y[i], (x[i] + 0.25 - 8.75) * 0.5 + 8.75) << i;

  // Saturation 0 on three channels: every channel becomes the pixel's channel mean.
  const auto rgb = random_vector<double>(3 * H * W, 5);
  std::vector<double> grey(rgb.size());
  d = draws_of(0.5f, 0.0f, 0.5f, 0, 0, 0, 0);  // brightness + 0, contrast x 1
  diff_augment(color, d.data(), 1, 3, H, W, rgb.data(), grey.data());
  for (int64_t p = 0; p < H * W; ++p) {
    const double mean = (rgb[p] + rgb[H * W + p] + rgb[2 * H * W + p]) / 3;
    for (int64_t ch = 0; ch < 3; ++ch) EXPECT_NEAR(grey[ch * H * W + p], mean, 1e-15);
  }
}

TEST(DiffAugment, BackwardIsTheFiniteDifferenceForEveryPolicy) {
  const int64_t B = 3, C = 3, H = 5, W = 7;
  std::vector<float> draws(B * kAugmentDraws);
  fill_augment_draws(9, 4, AugmentSite::kFakeG, B, H, W, draws.data());
  draws[3] = 1;  // the first image shifted both ways, the second cut at a corner
  draws[4] = -1;
  draws[kAugmentDraws + 5] = 0;
  draws[kAugmentDraws + 6] = 7;
  auto x = random_vector<double>(B * C * H * W, 11);
  const auto weighting = random_vector<double>(x.size(), 12);
  for (int mask = 1; mask < 8; ++mask) {
    AugmentPolicy policy;
    policy.color = mask & 1;
    policy.translation = mask & 2;
    policy.cutout = mask & 4;
    SCOPED_TRACE(augment_policy_name(policy));
    auto loss = [&] {
      std::vector<double> y(x.size());
      diff_augment(policy, draws.data(), B, C, H, W, x.data(), y.data());
      double sum = 0;
      for (size_t i = 0; i < y.size(); ++i) sum += weighting[i] * y[i];
      return sum;
    };
    std::vector<double> grad = weighting;
    diff_augment_backward(policy, draws.data(), B, C, H, W, grad.data());
    EXPECT_LT(max_relative_error(grad, numeric_gradient(x, loss)), 1e-8);
  }
}

TEST(DiffAugmentCli, TrainsResumesBitwiseAndRecordsThePolicy) {
  ScratchDir dir;
  const std::string flags = small_run_flags(dir, "1e-2") + " --augment color,translation,cutout";
  ASSERT_EQ(run_gan("train " + flags + " --out " + dir.path("a") + " --steps 13").exit_code, 0);
  const auto resumed = run_gan("train --resume " + dir.path("a") + " --steps 30");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  ASSERT_EQ(run_gan("train " + flags + " --out " + dir.path("b") + " --steps 30").exit_code, 0);
  ModelSpec spec;
  const Checkpoint a = load_checkpoint(dir.path("a/last.safetensors"), &spec);
  const Checkpoint b = load_checkpoint(dir.path("b/last.safetensors"), nullptr);
  EXPECT_TRUE(spec.augment.color && spec.augment.translation && spec.augment.cutout);
  EXPECT_EQ(a.state.generator.params, b.state.generator.params);
  EXPECT_EQ(a.state.discriminator.params, b.state.discriminator.params);
  EXPECT_NE(file_text(dir.path("a/config.json")).find("\"augment\": \"color,translation,cutout\""), std::string::npos);

  // Without it the same run is another run.
  ASSERT_EQ(run_gan("train " + small_run_flags(dir, "1e-2") + " --out " + dir.path("c") + " --steps 30").exit_code, 0);
  const Checkpoint c = load_checkpoint(dir.path("c/last.safetensors"), &spec);
  EXPECT_FALSE(spec.augment.any());
  EXPECT_NE(c.state.generator.params, b.state.generator.params);

  // A resume may not change it, but may name it again.
  const auto changed = run_gan("train --resume " + dir.path("a") + " --steps 40 --augment color");
  EXPECT_NE(changed.exit_code, 0);
  EXPECT_NE(changed.output.find("augment"), std::string::npos) << changed.output;
  const auto same = run_gan("train --resume " + dir.path("a") + " --steps 35 --augment color,translation,cutout");
  EXPECT_EQ(same.exit_code, 0) << same.output;
}

TEST(DiffAugmentCli, ABadPolicyIsRefusedByNameAndTheGpuTakesIt) {
  ScratchDir dir;
  const auto bad = run_gan("train " + small_run_flags(dir) + " --augment color,flip --out " + dir.path("r") + " --steps 1");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find("'flip'"), std::string::npos) << bad.output;
  EXPECT_NE(bad.output.find("translation"), std::string::npos) << bad.output;  // the choices are named
  const auto reordered = run_gan("train " + small_run_flags(dir) + " --augment cutout,color --out " + dir.path("o") + " --steps 1");
  EXPECT_NE(reordered.exit_code, 0);
  EXPECT_NE(reordered.output.find("order"), std::string::npos) << reordered.output;
  expect_gpu_takes(dir, "--augment color,cutout", "\"augment\": \"color,cutout\"");
}

}  // namespace
}  // namespace gan
