// The GPU step's plan read from its record (derived_plan.h): it does the step's arithmetic exactly
// once, counts the kernels the step launches, moves kernels between streams under --gpu-branches
// without changing them, and every dependency it gives is one the streams and events really
// give, enough to order every kernel after what it reads.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "model/dcgan_spec.h"
#include "model/step_plan.h"
#include "train/config.h"
#include "recorder/derived_plan.h"
#include "recorder/recording.h"

namespace gan::recorder {
namespace {

// gan train's defaults: the seed's MLP.
ModelSpec seed_spec() { return make_model_spec(resolve_config("", {}), 28, 28); }

GpuTrainerOptions mlp_options(bool fused, bool branches) {
  GpuTrainerOptions options;
  options.seed = 3;
  options.forward = fused ? ForwardPath::kFused : ForwardPath::kCublas;
  options.branches = branches;
  return options;
}

std::multiset<std::string> kernel_names(const std::vector<PlannedKernel>& plan) {
  std::multiset<std::string> names;
  for (const PlannedKernel& k : plan) names.insert(k.name);
  return names;
}

// Everything each kernel waits for, directly or not.
std::vector<std::set<size_t>> waits_for(const std::vector<PlannedKernel>& plan) {
  std::vector<std::set<size_t>> before(plan.size());
  for (size_t i = 0; i < plan.size(); ++i) {
    for (size_t j : plan[i].after) {
      EXPECT_LT(j, i) << plan[i].name;
      if (j >= i) continue;
      before[i].insert(j);
      before[i].insert(before[j].begin(), before[j].end());
    }
  }
  return before;
}

TEST(DerivedPlan, TheKernelsDoTheStepsArithmeticOnce) {
  const ModelSpec spec = seed_spec();
  for (int64_t batch : {1, 37, 128}) {
    for (bool fused : {false, true}) {
      for (bool branches : {false, true}) {
        const DerivedPlan plan = derive_step_plan(spec, mlp_options(fused, branches), batch);
        const StepPrediction p = predict_step(plan.kernels, nominal_h200_rates());
        EXPECT_NEAR(p.flops, step_flops(spec, batch), 1e-9 * step_flops(spec, batch)) << batch << fused << branches;
        for (const PlannedKernel& k : plan.kernels) {
          EXPECT_FALSE(k.phase.empty()) << k.name;
          EXPECT_GT(k.bytes, 0) << k.name;
          EXPECT_EQ(k.tiles > 0, k.flops > 0) << k.name;  // the matrix products, and only they
        }
      }
    }
  }
}

TEST(DerivedPlan, CountsTheKernelsTheStepLaunches) {
  const ModelSpec spec = seed_spec();
  // G 4 layers, D 3. Forward: 2 kernels a layer (GEMM + epilogue), or 1 fused. Backward: an
  // activation kernel and a weight GEMM a layer, input GEMMs for all layers but D's first (D
  // step) and G's first (G step); the G step's D backward has input GEMMs only, for every layer.
  // Besides: control, gather, 2 noises, 2 losses, 2 Adams, the non-finite record = 9.
  const size_t forward_layers = 4 + 3 + 4 + 3;
  const size_t backward = (3 + 3 + 2) + (3 + 3) + (4 + 4 + 3);
  EXPECT_EQ(derive_step_plan(spec, mlp_options(false, false), 128).kernels.size(), 9 + 2 * forward_layers + backward);
  EXPECT_EQ(derive_step_plan(spec, mlp_options(true, false), 128).kernels.size(), 9 + forward_layers + backward);
  // The eager step launches what the graph replays.
  GpuTrainerOptions eager = mlp_options(false, false);
  eager.graph = false;
  EXPECT_EQ(kernel_names(derive_step_plan(spec, eager, 128).kernels),
            kernel_names(derive_step_plan(spec, mlp_options(false, false), 128).kernels));
}

TEST(DerivedPlan, BranchesMoveKernelsWithoutChangingThem) {
  const ModelSpec spec = seed_spec();
  const std::vector<PlannedKernel> serial = derive_step_plan(spec, mlp_options(false, false), 128).kernels;
  const std::vector<PlannedKernel> branched = derive_step_plan(spec, mlp_options(false, true), 128).kernels;
  EXPECT_EQ(kernel_names(serial), kernel_names(branched));

  // Serial: one lane, each kernel after the one before it, so the chain is the sum.
  for (size_t i = 0; i < serial.size(); ++i) {
    EXPECT_EQ(serial[i].lane, 0);
    if (i > 0) {
      EXPECT_EQ(serial[i].after, std::vector<size_t>{i - 1}) << serial[i].name;
    }
  }
  const StepPrediction s = predict_step(serial, nominal_h200_rates());
  EXPECT_NEAR(s.critical_ms, s.serial_ms, 1e-12);

  // Branched: the G step's generator forward on a side lane, the weight GEMMs on another,
  // everything else on the trainer's; every kernel waits for the one before it on its lane.
  std::set<int> forward_lanes, weight_lanes;
  std::vector<size_t> last(8, branched.size());
  for (size_t i = 0; i < branched.size(); ++i) {
    const PlannedKernel& k = branched[i];
    const bool side_forward = k.phase == "G step: noise" || k.phase == "G step: G forward";
    const bool weight_gemm = k.name.rfind("GEMM weight grad", 0) == 0;
    if (side_forward) forward_lanes.insert(k.lane);
    if (weight_gemm) weight_lanes.insert(k.lane);
    if (!side_forward && !weight_gemm) {
      EXPECT_EQ(k.lane, 0) << k.name;
    }
    ASSERT_LT(k.lane, 8);
    if (last[static_cast<size_t>(k.lane)] < branched.size()) {
      EXPECT_NE(std::find(k.after.begin(), k.after.end(), last[static_cast<size_t>(k.lane)]), k.after.end()) << k.name;
    }
    last[static_cast<size_t>(k.lane)] = i;
  }
  EXPECT_EQ(forward_lanes.size(), 1u);
  EXPECT_EQ(weight_lanes.size(), 1u);
  EXPECT_EQ(forward_lanes.count(0) + weight_lanes.count(0), 0u);
  EXPECT_NE(forward_lanes, weight_lanes);
  const StepPrediction b = predict_step(branched, nominal_h200_rates());
  EXPECT_EQ(b.kernels, s.kernels);
  EXPECT_NEAR(b.serial_ms, s.serial_ms, 1e-9 * s.serial_ms);
  EXPECT_LT(b.critical_ms, s.serial_ms);  // something overlaps
}

// Two kernels on different lanes that touch the same bytes, one writing: the later waits for the
// earlier in the plan, directly or not. (The record's own "ordering" check reads the events;
// this reads the plan's edges, so a plan that dropped an edge would predict a step that cannot
// run.) Every model, with the MLP's branches.
TEST(DerivedPlan, EveryKernelWaitsForWhatItTouches) {
  int checked_pairs = 0;
  for (const Subject& subject : subjects()) {
    for (bool branches : {false, true}) {
      if (branches && subject.spec.kind != ModelKind::kMlp) continue;
      SCOPED_TRACE(subject.name + (branches ? ", --gpu-branches" : ""));
      GpuTrainerOptions options;
      options.branches = branches;
      const DerivedPlan plan = derive_step_plan(subject.spec, options, 16);
      const std::vector<std::set<size_t>> before = waits_for(plan.kernels);
      const std::vector<Call>& calls = record().calls;
      auto conflict = [&](const Call& a, const Call& b) {
        for (const Access& x : a.accesses) {
          for (const Access& y : b.accesses) {
            if (x.unknown_extent || y.unknown_extent || !(x.writes() || y.writes())) continue;
            const auto xb = reinterpret_cast<uintptr_t>(x.pointer), yb = reinterpret_cast<uintptr_t>(y.pointer);
            if (xb < yb + y.bytes && yb < xb + x.bytes) return true;
          }
        }
        return false;
      };
      for (size_t j = 0; j < plan.kernels.size(); ++j) {
        for (size_t i = 0; i < j; ++i) {
          if (plan.kernels[i].lane == plan.kernels[j].lane) continue;
          if (!conflict(calls[plan.calls[i]], calls[plan.calls[j]])) continue;
          ++checked_pairs;
          EXPECT_EQ(before[j].count(i), 1u) << plan.kernels[j].name << " on lane " << plan.kernels[j].lane
                                           << " does not wait for " << plan.kernels[i].name << " on lane "
                                           << plan.kernels[i].lane;
        }
      }
    }
  }
  EXPECT_GT(checked_pairs, 0);  // the branches do share buffers across lanes
}

// The 28x28 DCGAN's plan, call by call (odd widths and batch).
TEST(DerivedPlan, CountsTheDcgansCalls) {
  const ModelSpec spec = make_dcgan_spec(10, 13, 7, 0.2f);
  for (bool fused : {false, true}) {
    GpuTrainerOptions options;
    options.fused_batch_norm = fused;
    const std::vector<PlannedKernel> plan = derive_step_plan(spec, options, 37).kernels;
    EXPECT_NEAR(predict_step(plan, nominal_h200_rates()).flops, step_flops(spec, 37), 1e-9 * step_flops(spec, 37));
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
                  (k.name.rfind("fused BatchNorm", 0) == 0) == fused)
          << k.name;
    }
  }
}

// bench_plan (bench/bench_plan.cpp) writes the plan this code derives, in the JSON bench_step
// --plan reads; bad flags are refused.
TEST(DerivedPlan, BenchPlanWritesThePlanItDerives) {
  const std::string path = ::testing::TempDir() + "gan-bench-plan.json";
  const std::string bench_plan = GAN_BENCH_PLAN;
  ASSERT_EQ(std::system((bench_plan + " --batch 37 --forward fused --branches 1 --json " + path + " > /dev/null").c_str()), 0);
  std::ifstream in(path);
  const nlohmann::json written = nlohmann::json::parse(in);
  const std::vector<PlannedKernel> read = plan_from_json(written.at("kernels"), path);
  const std::vector<PlannedKernel> derived = derive_step_plan(seed_spec(), mlp_options(true, true), 37).kernels;
  ASSERT_EQ(read.size(), derived.size());
  for (size_t i = 0; i < read.size(); ++i) {
    EXPECT_EQ(read[i].name, derived[i].name);
    EXPECT_EQ(read[i].phase, derived[i].phase);
    EXPECT_EQ(read[i].lane, derived[i].lane);
    EXPECT_EQ(read[i].after, derived[i].after);
    EXPECT_EQ(read[i].flops, derived[i].flops);
  }
  EXPECT_EQ(written.at("flops_per_step").get<double>(), step_flops(seed_spec(), 37));
  for (const char* bad : {" --model dcgan --branches 1", " --batch 0", " --batchnorm sideways --model dcgan", " --frobnicate 1"}) {
    EXPECT_NE(std::system((bench_plan + bad + " > /dev/null 2>&1").c_str()), 0) << bad;
  }
}

}  // namespace
}  // namespace gan::recorder
