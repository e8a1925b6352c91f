// The average of G's weights (--ema, issue 31): its warm-up, the update's arithmetic, the
// trainer applying it after every G update, exact resume, PyTorch names in the checkpoint, and
// `gan sample` saying which weights it draws with (gan eval: test_eval.cpp). (Its PyTorch replay is the
// ctest TorchParity.GeneratorAverageReplaysAndLoadsInPyTorch.)
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "cpu/cpu_trainer.h"
#include "cpu/ops.h"
#include "io/safetensors.h"
#include "test_util.h"
#include "train/checkpoint.h"
#include "train/config.h"
#include "train/schedule.h"
#include "util/error.h"

namespace gan {
namespace {

namespace fs = std::filesystem;
using testing::run_gan;
using testing::ScratchDir;
using testing::small_run_flags;

TEST(EmaDecay, WarmsUpAsTensorFlowsNumUpdatesThenHoldsTheDecay) {
  EXPECT_DOUBLE_EQ(ema_decay_at(0.999, 1), 0.1);  // the first update: (1 + 0) / (10 + 0)
  EXPECT_DOUBLE_EQ(ema_decay_at(0.999, 9), 0.5);  // (1 + 8) / (10 + 8)
  EXPECT_DOUBLE_EQ(ema_decay_at(0.999, 1000000), 0.999);
  EXPECT_DOUBLE_EQ(ema_decay_at(0.5, 1), 0.1);
  EXPECT_DOUBLE_EQ(ema_decay_at(0.5, 100), 0.5);
  double previous = 0;
  for (uint64_t update = 1; update <= 20000; ++update) {
    const double d = ema_decay_at(0.999, update);
    ASSERT_GE(d, previous) << "update " << update;
    ASSERT_LE(d, 0.999);
    previous = d;
  }
  EXPECT_DOUBLE_EQ(previous, 0.999);  // reached after about 10 / (1 - decay) updates
}

TEST(EmaUpdate, IsTheFormulaWithEachProductAndTheSumRounded) {
  for (size_t n : {size_t{1}, size_t{7}, size_t{1001}, size_t{70001}}) {
    const auto params = testing::random_vector<float>(n, 3);
    auto ema = testing::random_vector<float>(n, 4);
    const auto before = ema;
    const double decay = ema_decay_at(0.999, 37);
    ema_update(ema.data(), params.data(), n, decay);
    const float keep = static_cast<float>(decay), take = static_cast<float>(1.0 - decay);
    for (size_t i = 0; i < n; ++i) {
      const volatile float kept = before[i] * keep;  // volatile: each product rounded to float
      const volatile float taken = params[i] * take;
      ASSERT_EQ(ema[i], kept + taken) << "element " << i << " of " << n;
    }
  }
  // In double, against the formula in long double.
  const auto params = testing::random_vector<double>(513, 5);
  auto ema = testing::random_vector<double>(513, 6);
  const auto before = ema;
  ema_update(ema.data(), params.data(), ema.size(), 0.25);
  for (size_t i = 0; i < ema.size(); ++i) {
    const long double want = 0.25L * before[i] + 0.75L * params[i];
    EXPECT_NEAR(ema[i], static_cast<double>(want), 1e-15);
  }
}

TrainConfig small_config(double ema) {
  return config_from_json({{"latent_dim", 6}, {"g_hidden", {9, 11}}, {"d_hidden", {10, 5}}, {"batch", 8}, {"lr", 1e-2},
                           {"seed", 5}, {"ema", ema}},
                          "test");
}

CpuTrainerOptions options_of(const TrainConfig& c) {
  CpuTrainerOptions o;
  static_cast<StepOptions&>(o) = step_options(c);
  return o;
}

TEST(EmaTrainer, AveragesGAfterEveryUpdateWithTheWarmUp) {
  const Dataset data = testing::synthetic_dataset(40, 3, 4, 2);
  const TrainConfig config = small_config(0.6);
  const ModelSpec spec = make_mlp_spec(config, 3, 4);
  CpuTrainer trainer(spec, data, options_of(config));
  TrainerState state = trainer.state();
  ASSERT_EQ(state.generator_ema, state.generator.params);  // the average starts at G's first weights
  std::vector<double> average(state.generator_ema.begin(), state.generator_ema.end());
  const Schedule schedule{data.count, config.batch, false, 1, 0};
  for (uint64_t step = 1; step <= 12; ++step) {
    trainer.train_step(schedule.position(step));
    state = trainer.state();
    ASSERT_EQ(state.generator.adam_step, static_cast<int64_t>(step));
    const double d = std::min(0.6, static_cast<double>(step) / (9.0 + static_cast<double>(step)));
    for (size_t i = 0; i < average.size(); ++i) average[i] = d * average[i] + (1 - d) * state.generator.params[i];
    EXPECT_LT(testing::max_relative_error(state.generator_ema, average), 1e-5) << "step " << step;
  }
  // By now the average lags G: it is not G's copy.
  EXPECT_GT(testing::max_relative_error(state.generator_ema, state.generator.params), 1e-3);
}

TEST(EmaTrainer, RefusesAStateWithoutTheAverageAndTheOtherWayRound) {
  const Dataset data = testing::synthetic_dataset(40, 3, 4, 2);
  const TrainConfig with = small_config(0.9), without = small_config(0);
  const ModelSpec spec = make_mlp_spec(with, 3, 4);
  CpuTrainer averaging(spec, data, options_of(with));
  CpuTrainer plain(spec, data, options_of(without));
  EXPECT_TRUE(plain.state().generator_ema.empty());
  try {
    averaging.load_state(plain.state());
    FAIL() << "a state without the average was accepted by a run that keeps one";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("--ema"), std::string::npos) << e.what();
  }
  EXPECT_THROW(plain.load_state(averaging.state()), InputError);
  TrainerState short_average = averaging.state();
  short_average.generator_ema.pop_back();
  EXPECT_THROW(averaging.load_state(short_average), InputError);
}

std::vector<char> file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<char>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(EmaCli, ResumeIsBitwiseTheUninterruptedRunAndTheAverageHasGsNames) {
  ScratchDir dir;
  const std::string flags = small_run_flags(dir, "1e-2") + " --ema 0.9";
  const auto first = run_gan("train " + flags + " --out " + dir.path("a") + " --steps 17");
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_NE(first.output.find("G's weights averaged (--ema 0.9"), std::string::npos) << first.output;
  const auto resumed = run_gan("train --resume " + dir.path("a") + " --steps 40");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  ASSERT_EQ(run_gan("train " + flags + " --out " + dir.path("b") + " --steps 40").exit_code, 0);
  const Checkpoint a = load_checkpoint(dir.path("a/last.safetensors"), nullptr);
  const Checkpoint b = load_checkpoint(dir.path("b/last.safetensors"), nullptr);
  ASSERT_EQ(a.position.step, 40u);
  ASSERT_FALSE(a.state.generator_ema.empty());
  EXPECT_EQ(a.state.generator_ema, b.state.generator_ema);
  EXPECT_EQ(a.state.generator.params, b.state.generator.params);
  EXPECT_NE(a.state.generator_ema, a.state.generator.params);

  // In the file: G's state_dict names after "generator_ema.", G's shapes.
  const SafetensorsFile file = read_safetensors(dir.path("a/last.safetensors"));
  ModelSpec spec;
  load_checkpoint(dir.path("a/last.safetensors"), &spec);
  for (const auto& t : spec.generator.tensors) {
    EXPECT_NO_THROW(file.get("generator_ema." + t.name, t.shape)) << t.name;
  }

  // The decay is part of the step: a resume may not change it.
  const auto changed = run_gan("train --resume " + dir.path("a") + " --steps 50 --ema 0.5");
  EXPECT_NE(changed.exit_code, 0);
  EXPECT_NE(changed.output.find("ema"), std::string::npos) << changed.output;
}

TEST(EmaCli, SampleSaysWhichWeightsItDrawsWith) {
  ScratchDir dir;
  ASSERT_EQ(run_gan("train " + small_run_flags(dir, "1e-2") + " --ema 0.9 --out " + dir.path("run") + " --steps 20").exit_code, 0);
  const auto average = run_gan("sample --checkpoint " + dir.path("run") + " --n 10 --out " + dir.path("ema.idx"));
  ASSERT_EQ(average.exit_code, 0) << average.output;
  EXPECT_NE(average.output.find("G's EMA weights"), std::string::npos) << average.output;
  const auto live =
      run_gan("sample --checkpoint " + dir.path("run") + " --n 10 --live-weights --out " + dir.path("live.idx"));
  ASSERT_EQ(live.exit_code, 0) << live.output;
  EXPECT_NE(live.output.find("(step 20, G's weights)"), std::string::npos) << live.output;
  EXPECT_NE(file_bytes(dir.path("ema.idx")), file_bytes(dir.path("live.idx")));

  // A run without --ema has no average: its samples are G's, and say so.
  ASSERT_EQ(run_gan("train " + small_run_flags(dir, "1e-2") + " --out " + dir.path("plain") + " --steps 5").exit_code, 0);
  const auto plain = run_gan("sample --checkpoint " + dir.path("plain") + " --n 4 --out " + dir.path("plain.idx"));
  ASSERT_EQ(plain.exit_code, 0) << plain.output;
  EXPECT_NE(plain.output.find("G's weights"), std::string::npos) << plain.output;
  EXPECT_EQ(plain.output.find("EMA"), std::string::npos) << plain.output;
}

TEST(EmaConfig, TheDecayMustLieInZeroToOne) {
  for (const char* bad : {"1", "-0.1", "1.5", "nan"}) {
    ScratchDir dir;
    const auto result = run_gan("train " + small_run_flags(dir, "1e-2") + " --ema " + bad + " --out " + dir.path("r") +
                                " --steps 1");
    EXPECT_NE(result.exit_code, 0) << bad;
    EXPECT_NE(result.output.find("ema"), std::string::npos) << result.output;
  }
}

}  // namespace
}  // namespace gan
