// The GPU step's plan (model/step_plan.h): the kernels it lists do the step's arithmetic exactly
// once, branches change where kernels run but not what they do, and every dependency is one a
// stream or event really gives. (That the GPU launches these kernels is
// GpuTrainerTest.ThePlanListsEveryKernelOfTheGraph's job.)
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "model/step_plan.h"

namespace gan {
namespace {

ModelSpec seed_spec() {
  ModelChoice choice;
  choice.g_hidden = {256, 512, 1024};
  choice.d_hidden = {512, 256};
  return make_mlp_spec(choice, 28, 28);
}

std::multiset<std::string> kernel_names(const std::vector<PlannedKernel>& plan) {
  std::multiset<std::string> names;
  for (const PlannedKernel& k : plan) names.insert(k.name);
  return names;
}

TEST(StepPlan, TheKernelsDoTheStepsArithmeticOnce) {
  const ModelSpec spec = seed_spec();
  for (int64_t batch : {1, 37, 128, 8192}) {
    for (bool fused : {false, true}) {
      for (bool branches : {false, true}) {
        const std::vector<PlannedKernel> plan = plan_mlp_gpu_step(spec, batch, {fused, branches});
        const StepPrediction p = predict_step(plan, nominal_h200_rates());
        EXPECT_NEAR(p.flops, step_flops(spec, batch), 1e-9 * step_flops(spec, batch)) << batch << fused << branches;
      }
    }
  }
  // bench/RESULTS.md's count at batch 128.
  EXPECT_NEAR(step_flops(spec, 128), 2.398e9, 0.001e9);
}

TEST(StepPlan, CountsTheKernelsTheStepLaunches) {
  const ModelSpec spec = seed_spec();
  // G 4 layers, D 3. Forward: 2 kernels a layer (GEMM + epilogue), or 1 fused. Backward: an
  // activation kernel and a weight GEMM a layer, input GEMMs for all layers but D's first (D
  // step) and G's first (G step); the G step's D backward has input GEMMs only, for every layer.
  // Besides: control, gather, 2 noises, 2 losses, 2 Adams, the non-finite record = 9.
  const int64_t forward_layers = 4 + 3 + 4 + 3;
  const int64_t backward = (3 + 3 + 2) + (3 + 3) + (4 + 4 + 3);
  EXPECT_EQ(plan_mlp_gpu_step(spec, 128, {false, false}).size(), static_cast<size_t>(9 + 2 * forward_layers + backward));
  EXPECT_EQ(plan_mlp_gpu_step(spec, 128, {true, false}).size(), static_cast<size_t>(9 + forward_layers + backward));
}

TEST(StepPlan, BranchesMoveKernelsWithoutChangingThem) {
  const ModelSpec spec = seed_spec();
  const std::vector<PlannedKernel> serial = plan_mlp_gpu_step(spec, 128, {false, false});
  const std::vector<PlannedKernel> branched = plan_mlp_gpu_step(spec, 128, {false, true});
  EXPECT_EQ(kernel_names(serial), kernel_names(branched));

  // Serial: one lane, each kernel after the one before it, so the chain is the sum.
  for (size_t i = 0; i < serial.size(); ++i) {
    EXPECT_EQ(serial[i].lane, 0);
    if (i > 0) EXPECT_EQ(serial[i].after, std::vector<size_t>{i - 1}) << serial[i].name;
  }
  const StepPrediction s = predict_step(serial, nominal_h200_rates());
  EXPECT_NEAR(s.critical_ms, s.serial_ms, 1e-12);

  // Branched: the G step's generator forward on lane 1, weight GEMMs on lane 2, everything else
  // on lane 0; every kernel waits for the one before it on its lane.
  std::map<int, size_t> last;
  for (size_t i = 0; i < branched.size(); ++i) {
    const PlannedKernel& k = branched[i];
    const bool side_forward = k.phase == "G step: noise" || k.phase == "G step: G forward";
    const bool weight_gemm = k.name.rfind("GEMM weight grad", 0) == 0;
    EXPECT_EQ(k.lane, side_forward ? 1 : weight_gemm ? 2 : 0) << k.name;
    if (last.count(k.lane)) {
      EXPECT_NE(std::find(k.after.begin(), k.after.end(), last[k.lane]), k.after.end()) << k.name;
    }
    for (size_t before : k.after) EXPECT_LT(before, i);
    last[k.lane] = i;
  }
  const StepPrediction b = predict_step(branched, nominal_h200_rates());
  EXPECT_EQ(b.kernels, s.kernels);
  EXPECT_NEAR(b.serial_ms, s.serial_ms, 1e-12);
  EXPECT_LT(b.critical_ms, s.serial_ms);  // something overlaps
}

// The hazards the branches must respect, read off the plan: the G step's D forward needs the
// side forward's image; Adam needs every weight gradient; an input GEMM that overwrites the
// scratch a weight GEMM is reading waits for it.
TEST(StepPlan, BranchedKernelsWaitForWhatTheyRead) {
  const std::vector<PlannedKernel> plan = plan_mlp_gpu_step(seed_spec(), 128, {false, true});
  // Everything a kernel waits for, directly or not.
  std::vector<std::set<size_t>> before(plan.size());
  for (size_t i = 0; i < plan.size(); ++i) {
    for (size_t j : plan[i].after) {
      before[i].insert(j);
      before[i].insert(before[j].begin(), before[j].end());
    }
  }
  auto waits_for_all = [&](size_t i, auto&& which) {
    for (size_t j = 0; j < i; ++j) {
      if (which(plan[j]) && before[i].count(j) == 0) return false;
    }
    return true;
  };
  size_t g_step_d_forward = plan.size(), adam_d = plan.size(), adam_g = plan.size();
  for (size_t i = 0; i < plan.size(); ++i) {
    if (plan[i].phase == "G step: D forward" && g_step_d_forward == plan.size()) g_step_d_forward = i;
    if (plan[i].phase == "Adam D") adam_d = i;
    if (plan[i].phase == "Adam G") adam_g = i;
  }
  ASSERT_LT(g_step_d_forward, plan.size());
  ASSERT_LT(adam_g, plan.size());
  EXPECT_TRUE(waits_for_all(g_step_d_forward, [](const PlannedKernel& k) { return k.lane == 1; }));
  EXPECT_TRUE(waits_for_all(adam_d, [](const PlannedKernel& k) { return k.phase == "D backward"; }));
  EXPECT_TRUE(waits_for_all(adam_g, [](const PlannedKernel& k) { return k.lane == 2; }));
  // Within a backward, each input GEMM after the first waits for the weight GEMM of the layer
  // above (the scratch it writes holds that layer's dZ).
  for (size_t i = 0; i < plan.size(); ++i) {
    if (plan[i].name.rfind("GEMM input grad", 0) != 0) continue;
    for (size_t j = i; j-- > 0 && plan[j].phase == plan[i].phase;) {
      if (plan[j].name.rfind("GEMM weight grad", 0) != 0) continue;
      // The nearest earlier weight GEMM is this layer's own (runs beside it); the one before it
      // belongs to the layer above.
      for (size_t k = j; k-- > 0 && plan[k].phase == plan[i].phase;) {
        if (plan[k].name.rfind("GEMM weight grad", 0) == 0) {
          EXPECT_EQ(before[i].count(k), 1u) << plan[i].name << " / " << plan[k].name;
          break;
        }
      }
      break;
    }
  }
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

TEST(StepPlan, RefusesTheDcgan) {
  ModelChoice choice;
  choice.kind = ModelKind::kDcgan;
  choice.dcgan_channels = {128, 64};
  EXPECT_THROW(plan_mlp_gpu_step(make_model_spec(choice, 28, 28), 128, {}), std::exception);
}

}  // namespace
}  // namespace gan
