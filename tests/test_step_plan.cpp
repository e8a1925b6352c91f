// The GPU step's plan (model/step_plan.h): the kernels it lists do the step's arithmetic exactly
// once, branches change where kernels run but not what they do, and every dependency is one a
// stream or event really gives. (That the GPU launches these kernels is
// GpuTrainerTest.ThePlanListsEveryKernelOfTheGraph's job.)
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "model/step_plan.h"
#include "util/error.h"

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

ModelSpec dcgan_spec(int64_t c0, int64_t c1) {
  ModelChoice choice;
  choice.kind = ModelKind::kDcgan;
  choice.dcgan_channels = {c0, c1};
  return make_model_spec(choice, 28, 28);
}

TEST(StepPlan, EachModelHasItsOwnPlan) {
  EXPECT_THROW(plan_mlp_gpu_step(dcgan_spec(128, 64), 128, {}), InternalError);
  EXPECT_THROW(plan_dcgan_gpu_step(seed_spec(), 128, {}), InternalError);
  EXPECT_EQ(plan_gpu_step(seed_spec(), 128, {}).size(), plan_mlp_gpu_step(seed_spec(), 128, {}).size());
}

// The DCGAN's plan, call by call: the step's arithmetic once (odd widths and batches too), and
// the calls gpu_dcgan_model.cpp makes.
TEST(StepPlan, TheDcganCallsDoTheStepsArithmeticOnce) {
  for (auto [c0, c1] : {std::pair<int64_t, int64_t>{128, 64}, {13, 7}}) {
    const ModelSpec spec = dcgan_spec(c0, c1);
    for (int64_t batch : {2, 37, 128}) {
      for (bool fused : {false, true}) {
        StepPlanOptions options;
        options.fused_batch_norm = fused;
        const std::vector<PlannedKernel> plan = plan_dcgan_gpu_step(spec, batch, options);
        const StepPrediction p = predict_step(plan, nominal_h200_rates());
        EXPECT_NEAR(p.flops, step_flops(spec, batch), 1e-9 * step_flops(spec, batch)) << c0 << " " << batch;
        // Calls (cuDNN BatchNorm: 2 a layer each way, with the activation; fused: 1):
        //   G forward: projection GEMM + bias, BN0, deconv1 + bias, BN1, deconv2 + bias, Tanh = 11 / 9
        //   D forward: conv1 + bias, LeakyReLU, conv2 + bias, BN2, linear GEMM + bias = 9 / 8
        //   D backward with weights: linear dW, db, dX; BN2; conv2 dX, dW, db; LeakyReLU;
        //     conv1 dW, db = 11 / 10; input only: linear dX, BN2, conv2 dX, LeakyReLU, conv1 dX = 6 / 5
        //   G backward: Tanh; deconv2 dX, dW, db; BN1; deconv1 dX, dW, db; BN0; projection dW,
        //     db = 13 / 11
        // and control, gather, 2 noises, 2 losses, the gradient sum, 2 Adams, the record = 10.
        const size_t g_fwd = fused ? 9 : 11, d_fwd = fused ? 8 : 9, d_bwd = fused ? 10 : 11;
        const size_t d_in = fused ? 5 : 6, g_bwd = fused ? 11 : 13;
        EXPECT_EQ(plan.size(), 10 + 2 * g_fwd + 3 * d_fwd + 2 * d_bwd + d_in + g_bwd) << fused;
        for (const PlannedKernel& k : plan) {
          EXPECT_EQ(k.lane, 0);
          EXPECT_TRUE(k.name.find("BatchNorm") == std::string::npos ||
                      (k.name.find("fused") != std::string::npos) == fused)
              << k.name;
        }
      }
    }
  }
}

}  // namespace
}  // namespace gan
