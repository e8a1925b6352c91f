#include "recorder/derived_plan.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>

#include "recorder/recording.h"
#include "train/schedule.h"
#include "util/error.h"

namespace gan::recorder {
namespace {

int64_t tiles(int64_t rows, int64_t cols) { return ((rows + 63) / 64) * ((cols + 63) / 64); }

bool in_epoch_permutation(const Call& call) {
  return std::find(call.ranges.begin(), call.ranges.end(), "epoch permutation") != call.ranges.end();
}

// A kernel's name in the plan: what it does, and the shapes that say how big it is (a library
// call's parameters; our kernels' largest output).
std::string kernel_name(const Call& call) {
  static const std::map<std::string, std::string> passes = {{"cudnnConvolutionForward", "convolution forward"},
                                                            {"cudnnConvolutionBackwardData", "convolution input grad"},
                                                            {"cudnnConvolutionBackwardFilter", "convolution weight grad"}};
  const auto pass = passes.find(call.name);
  const std::string kind = pass != passes.end() ? pass->second : kind_of_call(call);
  if (!call.detail.empty()) return kind + " " + call.detail;
  const Access* largest = nullptr;
  for (const Access& a : call.accesses) {
    if (a.writes() && (largest == nullptr || a.bytes > largest->bytes)) largest = &a;
  }
  return largest ? kind + " -> " + largest->what + " " + std::to_string(largest->bytes) + " B" : kind;
}

// Bytes a call moves: each access's extent, a read-write twice; not a library's workspace (its
// whole size is what the call may use, not what it moves) and not an unknown extent.
double moved_bytes(const Call& call) {
  double total = 0;
  for (const Access& a : call.accesses) {
    if (a.unknown_extent || a.what == "workspace") continue;
    total += static_cast<double>(a.bytes) * (a.kind == AccessKind::kReadWrite ? 2 : 1);
  }
  return total;
}

// What a stream's next kernel must wait for: its last kernel, and what its waits brought in.
struct Lane {
  int index = 0;
  std::set<size_t> waits_for;  // plan indices
};

}  // namespace

DerivedPlan plan_from_record(const Record& record, int step) {
  DerivedPlan plan;
  std::map<const void*, Lane> lanes;
  std::map<const void*, std::set<size_t>> events;  // what a wait for the event orders after
  auto lane_of = [&](const void* stream) -> Lane& {
    const auto found = lanes.find(stream);
    if (found != lanes.end()) return found->second;
    Lane& lane = lanes[stream];
    lane.index = static_cast<int>(lanes.size()) - 1;
    return lane;
  };
  for (size_t i = 0; i < record.calls.size(); ++i) {
    const Call& call = record.calls[i];
    if (call.step != step || call.captured) continue;
    switch (call.kind) {
      case CallKind::kEventRecord:
        events[call.event] = lane_of(call.stream).waits_for;
        continue;
      case CallKind::kStreamWait: {
        const std::set<size_t>& before = events[call.event];
        lane_of(call.stream).waits_for.insert(before.begin(), before.end());
        continue;
      }
      case CallKind::kHostSync: {  // the host waited for one stream (or all): later work follows it
        std::set<size_t> done;
        for (auto& [stream, lane] : lanes) {
          if (call.stream == nullptr || stream == call.stream) done.insert(lane.waits_for.begin(), lane.waits_for.end());
        }
        for (auto& [stream, lane] : lanes) lane.waits_for.insert(done.begin(), done.end());
        continue;
      }
      default:
        break;
    }
    if (kind_of_call(call).empty() || in_epoch_permutation(call)) continue;
    Lane& lane = lane_of(call.stream);
    PlannedKernel kernel;
    kernel.phase = call.phase();
    kernel.name = kernel_name(call);
    kernel.flops = call.flops;
    kernel.bytes = moved_bytes(call);
    kernel.tiles = call.gemm_rows > 0 ? tiles(call.gemm_rows, call.gemm_cols) : 0;
    kernel.lane = lane.index;
    kernel.after.assign(lane.waits_for.begin(), lane.waits_for.end());
    // From now on the lane's work follows this kernel, which follows all it waited for.
    lane.waits_for = {plan.kernels.size()};
    plan.kernels.push_back(std::move(kernel));
    plan.calls.push_back(i);
  }
  return plan;
}

DerivedPlan derive_step_plan(const ModelSpec& spec, GpuTrainerOptions options, int64_t batch) {
  if (batch < 1) throw InputError("the step's plan needs a batch of at least 1, not " + std::to_string(batch));
  options.max_batch = batch;
  const Dataset data = images_for(spec, 2 * batch);
  Record& r = record();
  r.clear_calls();
  GpuTrainer trainer(spec, data, options);
  const Schedule schedule{data.count, batch, true, 1, 0};
  for (int step = 1; step <= 2; ++step) {
    r.begin_step(step);
    trainer.train_step(schedule.position(static_cast<uint64_t>(step)));
    r.end_step();
  }
  return plan_from_record(r, 2);
}

std::vector<Finding> check_plan(const Record& record, const ModelSpec& spec, const std::vector<int64_t>& batches) {
  std::vector<Finding> findings;
  for (size_t s = 0; s < batches.size(); ++s) {
    const int step = static_cast<int>(s) + 1;
    const DerivedPlan plan = plan_from_record(record, step);
    const std::string at = "step " + std::to_string(step) + " (batch " + std::to_string(batches[s]) + ")";
    double flops = 0;
    for (size_t k = 0; k < plan.kernels.size(); ++k) {
      flops += plan.kernels[k].flops;
      if (plan.kernels[k].phase.empty()) {
        findings.push_back({"plan", at + ": call " + std::to_string(plan.calls[k]) + " " + plan.kernels[k].name +
                                        " runs outside every phase (no NVTX range is open)"});
      }
    }
    if (spec.conditional()) continue;  // see derived_plan.h: the label tables' products are the step's own
    const double expected = step_flops(spec, batches[s]);
    if (std::abs(flops - expected) > 1e-9 * expected) {
      findings.push_back({"plan", at + ": the matrix products do " + std::to_string(flops) + " FLOPs, the model's layers " +
                                      std::to_string(expected) + " (step_flops)"});
    }
  }
  return findings;
}

}  // namespace gan::recorder
