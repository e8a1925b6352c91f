// The step plan bench_plan reads from a recorded step (tests/recorder/derived_plan.h) against the
// real GPU step of the same model: the graph holds at least the plan's kernels (all but the step
// control, launched before each replay) and, for the MLP, no more than cuBLAS can add (a split-K
// reduction per GEMM at most); every planned phase was timed in the eager step and lies inside
// it. So the recording back end's twins see the step the card runs, and bench_step --plan's
// predictions name the phases it measures.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "cuda/gpu_api.h"
#include "cuda/gpu_trainer.h"
#include "gpu/gpu_test.h"
#include "model/step_plan.h"
#include "test_util.h"
#include "train/config.h"
#include "train/schedule.h"

namespace gan {
namespace {

// The plan bench_plan writes for `flags` (bench_plan's own), read back.
std::vector<PlannedKernel> recorded_plan(const std::string& flags) {
  const std::string path = ::testing::TempDir() + "gan-recorded-plan.json";
  const std::string command = std::string(GAN_BENCH_PLAN) + " " + flags + " --json " + path + " > /dev/null";
  if (std::system(command.c_str()) != 0) {
    ADD_FAILURE() << command << " failed";
    return {};
  }
  std::ifstream in(path);
  const nlohmann::json written = nlohmann::json::parse(in);
  return plan_from_json(written.at("kernels"), path);
}

// Trains two steps of the model bench_plan would build from `choices` (gan train's keys) on 28x28
// images, then checks the graph and the phases against its plan.
void check_against_plan(const std::map<std::string, std::string>& choices, const std::string& flags, bool mlp) {
  SCOPED_TRACE(flags);
  const TrainConfig config = resolve_config("", choices);
  const Dataset data = testing::synthetic_dataset(3 * config.batch, 28, 28, 5);
  const ModelSpec spec = make_model_spec(config, 28, 28);
  const Schedule schedule{data.count, config.batch, true, 5, 0};
  GpuTrainerOptions options;
  static_cast<GpuModelOptions&>(options) = config.gpu_model;
  options.max_batch = config.batch;
  options.seed = 1;
  GpuTrainer trainer(spec, data, options);
  testing::run_steps(trainer, schedule, 1, 1);
  const StepBreakdown b =
      measure_step_breakdown(trainer, {schedule.position(2)}, {schedule.position(3), schedule.position(5)});
  const std::vector<PlannedKernel> plan = recorded_plan(flags);
  ASSERT_FALSE(plan.empty());
  int64_t gemms = 0;
  for (const PlannedKernel& k : plan) gemms += k.name.rfind("GEMM", 0) == 0 ? 1 : 0;
  const int64_t in_graph = static_cast<int64_t>(plan.size()) - 1;
  EXPECT_GE(b.kernels_per_step, in_graph);
  if (mlp) {
    EXPECT_LE(b.kernels_per_step, in_graph + gemms);  // cuDNN may launch several kernels a call
  }

  ASSERT_EQ(b.eager_steps.size(), 1u);
  const std::vector<PhaseTime>& phases = b.eager_steps.front();
  ASSERT_FALSE(phases.empty());
  std::set<std::string> timed;
  for (const PhaseTime& p : phases) {
    timed.insert(p.name);
    EXPECT_TRUE(std::isfinite(p.ms) && p.ms >= 0 && p.ms <= phases.front().ms * 1.01 + 0.01) << p.name;
  }
  for (const PlannedKernel& k : plan) {
    if (k.phase != "step") {
      EXPECT_EQ(timed.count(k.phase), 1u) << k.phase;
    }
  }
}

TEST(GpuPlan, TheRecordedPlanListsEveryKernelOfTheMlpsGraph) {
  GAN_REQUIRE_GPU();
  for (bool fused : {false, true}) {
    for (bool branches : {false, true}) {
      check_against_plan({{"batch", "64"}, {"gpu_forward", fused ? "fused" : "cublas"},
                          {"gpu_branches", branches ? "true" : "false"}},
                         std::string("--batch 64 --forward ") + (fused ? "fused" : "cublas") +
                             " --branches " + (branches ? "1" : "0"),
                         true);
    }
  }
}

TEST(GpuPlan, TheRecordedPlanListsEveryCallOfTheDcgansGraph) {
  GAN_REQUIRE_GPU();
  for (bool fused : {false, true}) {
    check_against_plan({{"batch", "16"}, {"model", "dcgan"}, {"dcgan_channels", "16,8"},
                        {"gpu_batchnorm", fused ? "fused" : "cudnn"}},
                       std::string("--model dcgan --batch 16 --dcgan-channels 16,8 --batchnorm ") +
                           (fused ? "fused" : "cudnn"),
                       false);
  }
}

}  // namespace
}  // namespace gan
