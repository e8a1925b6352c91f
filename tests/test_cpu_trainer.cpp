// The CPU trainer: its step is the seed's step (checked against an independent double-precision
// composition of the reference ops), its schedule is the DataLoader's, and it is deterministic.
#include <gtest/gtest.h>

#include <random>

#include "cpu/cpu_trainer.h"
#include "cpu/mlp.h"
#include "model/random_streams.h"
#include "test_util.h"
#include "train/config.h"
#include "train/schedule.h"

namespace gan {
namespace {

using testing::max_relative_error;
using testing::synthetic_dataset;

TrainConfig small_config() {
  return config_from_json({{"latent_dim", 6}, {"g_hidden", {9, 11}}, {"d_hidden", {10, 5}}, {"batch", 8}, {"lr", 1e-3},
                           {"seed", 77}},
                          "test");
}

CpuTrainerOptions options_of(const TrainConfig& c) {
  CpuTrainerOptions o;
  static_cast<StepOptions&>(o) = step_options(c);
  return o;
}

std::vector<double> widen(const std::vector<float>& v) { return std::vector<double>(v.begin(), v.end()); }

void expect_tensors_close(const NetworkSpec& n, const std::vector<float>& ours, const std::vector<double>& ref,
                          double bound, const std::string& what) {
  for (const auto& t : n.tensors) {
    const std::vector<float> a(ours.begin() + t.offset, ours.begin() + t.offset + t.size);
    const std::vector<double> b(ref.begin() + t.offset, ref.begin() + t.offset + t.size);
    EXPECT_LT(max_relative_error(a, b), bound) << what << " " << n.name << "." << t.name;
  }
}

TEST(CpuTrainer, FirstStepIsTheSeedsStep) {
  const Dataset data = synthetic_dataset(21, 3, 4, 1);
  const TrainConfig config = small_config();
  const ModelSpec spec = make_mlp_spec(config, 3, 4);
  CpuTrainer trainer(spec, data, options_of(config));
  const TrainerState before = trainer.state();
  const Schedule schedule{data.count, config.batch, false, 1, 0};
  const StepPosition at = schedule.position(1);
  trainer.train_step(at);

  // The batch is the first 8 images of epoch 0's order, normalised; the noises are the step's.
  const auto order = epoch_permutation(config.seed, 0, static_cast<uint32_t>(data.count));
  std::vector<float> real(8 * 12);
  gather_normalize(data, order.data(), 8, 0.5f, 0.5f, real.data());
  EXPECT_EQ(trainer.last_real(), real);
  std::vector<float> z(8 * 6);
  fill_normal(config.seed, RandomPurpose::kNoiseDiscriminator, 1, z.data(), 48);
  EXPECT_EQ(trainer.last_noise_d(), z);
  fill_normal(config.seed, RandomPurpose::kNoiseGenerator, 1, z.data(), 48);
  EXPECT_EQ(trainer.last_noise_g(), z);

  // The same step, composed independently in double.
  const NetworkSpec &G = spec.generator, &D = spec.discriminator;
  auto g = widen(before.generator.params), d = widen(before.discriminator.params);
  const auto real_d = widen(trainer.last_real()), zd = widen(trainer.last_noise_d()), zg = widen(trainer.last_noise_g());
  MlpPass<double> g_pass, d_real, d_fake;
  MlpScratch<double> scratch;
  mlp_forward<double>(G, 0.2, g.data(), zd.data(), 8, &g_pass);
  mlp_forward<double>(D, 0.2, d.data(), real_d.data(), 8, &d_real);  // the seed's D(real)
  mlp_forward<double>(D, 0.2, d.data(), g_pass.output(), 8, &d_fake);  // and D(fake), separately
  std::vector<double> dl_real(8), dl_fake(8), d_grads(D.parameter_count), d_grads_fake(D.parameter_count);
  const BceStats real_bce = bce_with_logits(d_real.output(), 8, 0, dl_real.data());
  std::vector<double> tmp(8);
  const BceStats fake_bce = bce_with_logits(d_fake.output(), 0, 8, dl_fake.data());
  mlp_backward<double>(D, 0.2, d.data(), d_real, dl_real.data(), d_grads.data(), nullptr, &scratch);
  mlp_backward<double>(D, 0.2, d.data(), d_fake, dl_fake.data(), d_grads_fake.data(), nullptr, &scratch);
  for (size_t i = 0; i < d_grads.size(); ++i) d_grads[i] += d_grads_fake[i];
  expect_tensors_close(D, trainer.discriminator_grads(), d_grads, 1e-4, "D step gradient");

  std::vector<double> m(D.parameter_count, 0), v(D.parameter_count, 0);
  adam_update(d.data(), d_grads.data(), m.data(), v.data(), d.size(), AdamSettings{1e-3, 0.9, 0.999, 1e-8}, 1);
  mlp_forward<double>(G, 0.2, g.data(), zg.data(), 8, &g_pass);
  mlp_forward<double>(D, 0.2, d.data(), g_pass.output(), 8, &d_fake);
  std::vector<double> dl(8), d_image(8 * 12), g_grads(G.parameter_count);
  const BceStats g_bce = bce_with_logits(d_fake.output(), 8, 0, dl.data());
  mlp_backward<double>(D, 0.2, d.data(), d_fake, dl.data(), nullptr, d_image.data(), &scratch);
  mlp_backward<double>(G, 0.2, g.data(), g_pass, d_image.data(), g_grads.data(), nullptr, &scratch);
  expect_tensors_close(G, trainer.generator_grads(), g_grads, 1e-4, "G step gradient");

  const StepStats s = trainer.last_stats();
  EXPECT_NEAR(s.d_loss, real_bce.loss_real + fake_bce.loss_fake, 1e-5);
  EXPECT_NEAR(s.g_loss, g_bce.loss_real, 1e-5);
  EXPECT_NEAR(s.d_real, real_bce.prob_real, 1e-6);
  EXPECT_NEAR(s.d_fake, fake_bce.prob_fake, 1e-6);
  EXPECT_EQ(trainer.state().discriminator.adam_step, 1);
  EXPECT_EQ(trainer.state().generator.adam_step, 1);
}

TEST(CpuTrainer, SameSeedSameBits) {
  const Dataset data = synthetic_dataset(30, 4, 4, 2);
  const TrainConfig config = small_config();
  const ModelSpec spec = make_mlp_spec(config, 4, 4);
  const Schedule schedule{data.count, config.batch, false, 3, 0};
  auto run = [&](int threads, CpuGemm gemm) {
    CpuTrainerOptions o = options_of(config);
    o.threads = threads;
    o.gemm = gemm;
    const testing::UsingCpuGemm restore_afterwards(cpu_gemm());
    CpuTrainer t(spec, data, o);
    for (uint64_t s = 1; s <= 6; ++s) t.train_step(schedule.position(s));
    return t.state();
  };
  // With either CPU GEMM: the same bits run after run and whatever the thread count.
  for (CpuGemm gemm : {CpuGemm::kOpenBlas, CpuGemm::kOneDnn}) {
    SCOPED_TRACE(cpu_gemm_name(gemm));
    const TrainerState a = run(0, gemm), b = run(0, gemm), c = run(1, gemm), d = run(3, gemm);
    EXPECT_EQ(a.generator.params, b.generator.params);
    EXPECT_EQ(a.discriminator.exp_avg_sq, b.discriminator.exp_avg_sq);
    EXPECT_EQ(a.generator.params, c.generator.params) << "the thread count changed the result";
    EXPECT_EQ(a.generator.params, d.generator.params) << "the thread count changed the result";
  }
  const TrainerState a = run(0, CpuGemm::kOpenBlas);
  CpuTrainerOptions other = options_of(config);
  other.seed = 78;
  CpuTrainer t(spec, data, other);
  EXPECT_NE(t.state().generator.params, a.generator.params);
}

// At the sizes where the GEMMs split between threads: the seed's MLP (784 x 1024 layers) and
// the 32x32 colour DCGAN (its convolutions as grouped GEMMs), one step each, with either CPU
// GEMM. A run repeats itself bit for bit at a given thread count. Another thread count changes
// the summation order inside the libraries' GEMMs (both split some sums between threads at
// these sizes), so only the last bits may differ: measured 3e-7 to 6e-6 relative after one
// step (Adam's first step moves a parameter by lr times its gradient's sign, so a rounding
// near zero shows), bounded here at 1e-4.
TEST(CpuTrainer, RealSizesRepeatExactlyAndDifferOnlyInRoundingAcrossThreadCounts) {
  const TrainConfig mlp = resolve_config("", {{"batch", "64"}});
  const TrainConfig dcgan =
      resolve_config("", {{"batch", "16"}, {"model", "dcgan"}, {"channels", "3"}, {"dcgan_channels", "16"}});
  for (const TrainConfig* config : {&mlp, &dcgan}) {
    const int size = config == &mlp ? 28 : 32;
    const Dataset data = config == &mlp ? synthetic_dataset(64, 28, 28, 5) : [&] {
      Dataset d = synthetic_dataset(16, size, size * 3, 5);  // 16 images of 3 x 32 x 32 bytes
      d.width = size;
      d.channels = 3;
      return d;
    }();
    const ModelSpec spec = make_model_spec(*config, size, size);
    const Schedule schedule{data.count, config->batch, false, 1, 0};
    for (CpuGemm gemm : {CpuGemm::kOpenBlas, CpuGemm::kOneDnn}) {
      SCOPED_TRACE(std::string(config == &mlp ? "MLP, " : "32x32 DCGAN, ") + cpu_gemm_name(gemm));
      const testing::UsingCpuGemm restore_afterwards(cpu_gemm());
      auto one_step = [&](int threads) {
        CpuTrainerOptions o = options_of(*config);
        o.threads = threads;
        o.gemm = gemm;
        CpuTrainer t(spec, data, o);
        t.train_step(schedule.position(1));
        return t.state();
      };
      const TrainerState two = one_step(2), again = one_step(2), one = one_step(1);
      EXPECT_EQ(two.generator.params, again.generator.params);
      EXPECT_EQ(two.discriminator.params, again.discriminator.params);
      EXPECT_LT(testing::max_relative_error(one.generator.params, two.generator.params), 1e-4);
      EXPECT_LT(testing::max_relative_error(one.discriminator.params, two.discriminator.params), 1e-4);
    }
  }
}

TEST(CpuTrainer, InitFollowsPyTorchsLinearBounds) {
  const TrainConfig config = resolve_config("", {});
  const ModelSpec spec = make_mlp_spec(config, 28, 28);
  const Dataset data = synthetic_dataset(130, 28, 28, 3);
  CpuTrainer trainer(spec, data, options_of(config));
  const TrainerState s = trainer.state();
  for (const auto* net : {&spec.generator, &spec.discriminator}) {
    const auto& params = net == &spec.generator ? s.generator.params : s.discriminator.params;
    for (const auto& t : net->tensors) {
      const double bound = 1.0 / std::sqrt(double(t.fan_in));
      double lo = 1, hi = -1, sum = 0;
      for (size_t e = 0; e < t.size; ++e) {
        const double x = params[t.offset + e];
        lo = std::min(lo, x);
        hi = std::max(hi, x);
        sum += x;
      }
      EXPECT_GE(lo, -bound) << t.name;
      EXPECT_LT(hi, bound) << t.name;
      if (t.size >= 1000) {
        EXPECT_LT(lo, -0.95 * bound) << t.name;  // the whole interval is used
        EXPECT_GT(hi, 0.95 * bound) << t.name;
        EXPECT_NEAR(sum / t.size, 0.0, 0.05 * bound) << t.name;
      }
    }
  }
  EXPECT_EQ(spec.generator.tensors[0].name, "model.0.weight");
  EXPECT_EQ(spec.generator.tensors[0].shape, (std::vector<int64_t>{256, 100}));
  EXPECT_EQ(spec.generator.tensors[7].name, "model.6.bias");
  EXPECT_EQ(spec.discriminator.tensors[4].shape, (std::vector<int64_t>{1, 256}));
  for (const auto& t : spec.discriminator.tensors) EXPECT_EQ(t.offset % kTensorAlignment, 0u) << t.name;
}

TEST(Schedule, EveryImageOncePerEpochWithTheLastBatchSmaller) {
  const Schedule s{1000, 128, false, 3, 0};
  EXPECT_EQ(s.steps_per_epoch(), 8);
  EXPECT_EQ(s.total_steps(), 24);
  const StepPosition last = s.position(8);
  EXPECT_EQ(last.epoch, 0u);
  EXPECT_EQ(last.offset, 896);
  EXPECT_EQ(last.batch, 104);
  const StepPosition next = s.position(9);
  EXPECT_EQ(next.epoch, 1u);
  EXPECT_EQ(next.offset, 0);
  EXPECT_EQ(next.batch, 128);
  const Schedule dropping{1000, 128, true, 3, 0};
  EXPECT_EQ(dropping.steps_per_epoch(), 7);
  EXPECT_EQ(dropping.position(8).epoch, 1u);
  const Schedule capped{1000, 128, false, 3, 10};
  EXPECT_EQ(capped.total_steps(), 10);
  EXPECT_EQ(capped.last_epoch(), 2);  // step 10 is epoch 2's second (1-based)
  const Schedule cap_beyond{1000, 128, false, 1, 50};
  EXPECT_EQ(cap_beyond.total_steps(), 8);
  EXPECT_EQ(cap_beyond.last_epoch(), 1);
  EXPECT_EQ(s.last_epoch(), 3);
  EXPECT_EQ((Schedule{1000, 128, false, 3, 16}.last_epoch()), 2);  // a cap on an epoch's last step
}

}  // namespace
}  // namespace gan
