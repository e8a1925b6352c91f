// The step plan's arithmetic (model/step_plan.h): the FLOPs of the seed's step, the roofline
// each kernel is predicted by, and a plan's trip through JSON (bench_plan writes it, bench_step
// reads it). The plan itself is read from a recorded step: tests/recorder/test_derived_plan.cpp.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "model/step_plan.h"
#include "train/config.h"
#include "util/error.h"

namespace gan {
namespace {

// gan train's defaults: the seed's MLP.
ModelSpec seed_spec() { return make_model_spec(resolve_config("", {}), 28, 28); }

TEST(StepPlan, CountsTheSeedsStepFlops) {
  // bench/RESULTS.md's count at batch 128; linear in the batch.
  EXPECT_NEAR(step_flops(seed_spec(), 128), 2.398e9, 0.001e9);
  EXPECT_NEAR(step_flops(seed_spec(), 256), 2 * step_flops(seed_spec(), 128), 1e-3);
}

TEST(StepPlan, PredictionsFollowTheRoofline) {
  const PeakRates rates = nominal_h200_rates();
  PlannedKernel tiny{"p", "tiny", 0, 64, 0, 0, {}};
  EXPECT_NEAR(predict_kernel_ms(tiny, rates), rates.kernel_us * 1e-3, 1e-6);  // the fixed cost alone
  // A GEMM with 2 tiles keeps 2 SMs busy: 66x slower than one that fills the card.
  PlannedKernel narrow{"p", "gemm", 1e9, 0, 2, 0, {}}, wide = narrow;
  wide.tiles = 1000;
  EXPECT_NEAR((predict_kernel_ms(narrow, rates) - rates.kernel_us * 1e-3) /
                  (predict_kernel_ms(wide, rates) - rates.kernel_us * 1e-3),
              66.0, 1e-9);
  // Bandwidth-bound: 4.8 GB at 4.8 TB/s is 1 ms.
  PlannedKernel copy{"p", "copy", 0, 4.8e9, 0, 0, {}};
  EXPECT_NEAR(predict_kernel_ms(copy, rates), 1.0 + rates.kernel_us * 1e-3, 1e-9);
}

// bench_plan's JSON gives bench_step the same plan; a malformed one is refused with its place.
TEST(StepPlan, APlanSurvivesItsTripThroughJson) {
  const std::vector<PlannedKernel> plan = {{"data", "gather", 0, 4096, 0, 0, {}},
                                           {"G forward", "GEMM forward T,N m=256 n=128 k=100", 6.5e6, 2e5, 8, 0, {0}},
                                           {"G step: G forward", "side", 1e3, 64, 1, 2, {0, 1}}};
  const std::vector<PlannedKernel> back = plan_from_json(nlohmann::json::parse(plan_to_json(plan).dump()), "here");
  ASSERT_EQ(back.size(), plan.size());
  for (size_t i = 0; i < plan.size(); ++i) {
    EXPECT_EQ(back[i].phase, plan[i].phase);
    EXPECT_EQ(back[i].name, plan[i].name);
    EXPECT_EQ(back[i].flops, plan[i].flops);
    EXPECT_EQ(back[i].bytes, plan[i].bytes);
    EXPECT_EQ(back[i].tiles, plan[i].tiles);
    EXPECT_EQ(back[i].lane, plan[i].lane);
    EXPECT_EQ(back[i].after, plan[i].after);
  }
  nlohmann::json forward = plan_to_json(plan);
  forward[1]["after"] = {1};  // waits for itself
  try {
    plan_from_json(forward, "plan.json");
    ADD_FAILURE() << "a kernel waiting for itself was read";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("plan.json: kernel 1"), std::string::npos) << e.what();
  }
  nlohmann::json missing = plan_to_json(plan);
  missing[2].erase("bytes");
  EXPECT_THROW(plan_from_json(missing, "plan.json"), InputError);
  EXPECT_THROW(plan_from_json(nlohmann::json::object(), "plan.json"), InputError);
}

}  // namespace
}  // namespace gan
