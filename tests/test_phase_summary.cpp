// bench_step --breakdown's aggregation of eager steps (bench/phase_summary.h), without a GPU:
// the phases the GPU trainer's eager steps open, as its train_step opens them (an "epoch
// permutation" range at the first step of each epoch), at the windows bench_step times.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "phase_summary.h"
#include "train/schedule.h"

namespace gan {
namespace {

// The phases of one eager MLP step at `at`, in the order GpuTrainer::train_step opens them; each
// phase's time is `ms` so that a test can tell the steps apart.
std::vector<PhaseTime> eager_step_phases(const StepPosition& at, uint64_t* order_epoch, double ms) {
  std::vector<PhaseTime> phases{{"step", 0, 10 * ms}};
  if (at.epoch != *order_epoch) {
    phases.push_back({"epoch permutation", 1, 100 * ms});
    *order_epoch = at.epoch;
  }
  for (const char* name : {"data", "G forward", "D forward", "loss", "D backward", "Adam D", "G step: noise",
                           "G step: G forward", "G step: D forward",
                           "G step: loss, D backward (input only), G backward", "Adam G"}) {
    phases.push_back({name, 1, ms});
  }
  return phases;
}

// bench_step's window: `warmup` + `steps` steps first, then 20 eager steps.
std::vector<std::vector<PhaseTime>> breakdown_window(int64_t images, int64_t batch, int64_t warmup, int64_t steps) {
  const Schedule schedule{images, batch, true, 1000000, 0};
  uint64_t order_epoch = schedule.position(static_cast<uint64_t>(warmup + steps)).epoch;
  std::vector<std::vector<PhaseTime>> eager;
  for (int i = 1; i <= 20; ++i) {
    const StepPosition at = schedule.position(static_cast<uint64_t>(warmup + steps + i));
    eager.push_back(eager_step_phases(at, &order_epoch, i));
  }
  return eager;
}

const PhaseSummary* find_row(const std::vector<PhaseSummary>& rows, const std::string& name) {
  for (const PhaseSummary& row : rows) {
    if (row.name == name) return &row;
  }
  return nullptr;
}

// Finding 3 of issue 29: MNIST-10k at batch 128 has 78 steps per epoch, so device_check's
// window (warmup 20, 200 timed steps, eager steps 221-240) holds step 235, an epoch's first.
TEST(PhaseSummary, AnEpochsFirstStepInTheWindowAddsItsOwnRow) {
  const std::vector<std::vector<PhaseTime>> eager = breakdown_window(10000, 128, 20, 200);
  const std::vector<PhaseSummary> rows = summarize_phases(eager);
  ASSERT_EQ(rows.size(), 13u);  // step, epoch permutation and the 11 phases of every step
  const PhaseSummary* permutation = find_row(rows, "epoch permutation");
  ASSERT_NE(permutation, nullptr);
  EXPECT_EQ(permutation->steps, 1);  // step 235 alone
  EXPECT_EQ(permutation->depth, 1);
  EXPECT_DOUBLE_EQ(permutation->median_ms, 100 * 15);  // the 15th eager step is step 235
  // It sits where the steps open it: after the whole step's range, before the data.
  EXPECT_EQ(rows[0].name, "step");
  EXPECT_EQ(rows[1].name, "epoch permutation");
  EXPECT_EQ(rows[2].name, "data");
  // Every other phase is summed over all 20 steps, unshifted by the extra row.
  const PhaseSummary* data = find_row(rows, "data");
  ASSERT_NE(data, nullptr);
  EXPECT_EQ(data->steps, 20);
  EXPECT_DOUBLE_EQ(data->median_ms, 11);  // the times are 1..20: the nearest-rank median
  EXPECT_DOUBLE_EQ(data->p10_ms, 3);
  EXPECT_DOUBLE_EQ(data->p90_ms, 18);
  EXPECT_EQ(rows.back().name, "Adam G");
}

// Batch 8192 on MNIST-10k: one step per epoch, so every eager step is an epoch's first and no
// window inside one epoch exists; the permutation is in every step.
TEST(PhaseSummary, AnEpochOfOneStepPermutesInEveryStep) {
  const std::vector<PhaseSummary> rows = summarize_phases(breakdown_window(10000, 8192, 3, 20));
  const PhaseSummary* permutation = find_row(rows, "epoch permutation");
  ASSERT_NE(permutation, nullptr);
  EXPECT_EQ(permutation->steps, 20);
  EXPECT_EQ(rows.size(), 13u);
}

// A window inside one epoch: the same phases in every step, no permutation row.
TEST(PhaseSummary, AWindowInsideOneEpochHasTheStepsPhasesOnly) {
  const std::vector<PhaseSummary> rows = summarize_phases(breakdown_window(10000, 128, 0, 1));
  EXPECT_EQ(rows.size(), 12u);
  EXPECT_EQ(find_row(rows, "epoch permutation"), nullptr);
  for (const PhaseSummary& row : rows) EXPECT_EQ(row.steps, 20) << row.name;
}

// A phase is told apart by its depth as well as its name, and a phase first seen in a later step
// lands after the phase that preceded it there.
TEST(PhaseSummary, PhasesAreMatchedByNameAndDepthAndKeepTheStepsOrder) {
  const std::vector<std::vector<PhaseTime>> steps{
      {{"step", 0, 5}, {"a", 1, 1}, {"c", 1, 3}},
      {{"step", 0, 6}, {"a", 1, 1}, {"b", 1, 2}, {"b", 2, 7}, {"c", 1, 3}},
  };
  const std::vector<PhaseSummary> rows = summarize_phases(steps);
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[2].name, "b");
  EXPECT_EQ(rows[2].depth, 1);
  EXPECT_EQ(rows[3].name, "b");
  EXPECT_EQ(rows[3].depth, 2);
  EXPECT_DOUBLE_EQ(rows[3].median_ms, 7);
  EXPECT_EQ(rows[4].name, "c");
  EXPECT_EQ(rows[4].steps, 2);
  EXPECT_TRUE(summarize_phases({}).empty());
}

}  // namespace
}  // namespace gan
