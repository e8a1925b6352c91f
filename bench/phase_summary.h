#pragma once
// defines: percentile, PhaseSummary, summarize_phases — bench_step --breakdown's eager steps,
// each phase's GPU time over the steps as a median and its spread. Plain C++ (no CUDA), so that
// the tests can hold the aggregation without a GPU.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "cuda/gpu_api.h"  // PhaseTime
#include "util/error.h"

namespace gan {

// The q-quantile (0..1) of `values` (not empty), the nearest rank.
inline double percentile(std::vector<double> values, double q) {
  std::sort(values.begin(), values.end());
  const size_t index = std::min(values.size() - 1, static_cast<size_t>(q * (values.size() - 1) + 0.5));
  return values[index];
}

// One phase over the eager steps.
struct PhaseSummary {
  std::string name;
  int depth = 0;
  int64_t steps = 0;  // the eager steps it ran in
  double median_ms = 0, p10_ms = 0, p90_ms = 0;
};

// Each phase of the first step, over every step; InternalError where a step's phases differ.
inline std::vector<PhaseSummary> summarize_phases(const std::vector<std::vector<PhaseTime>>& steps) {
  std::vector<PhaseSummary> rows;
  if (steps.empty()) return rows;
  const std::vector<PhaseTime>& first = steps.front();
  for (size_t i = 0; i < first.size(); ++i) {
    std::vector<double> ms;
    for (const std::vector<PhaseTime>& s : steps) {
      if (s.size() != first.size() || s[i].name != first[i].name) throw InternalError("eager steps with other phases");
      ms.push_back(s[i].ms);
    }
    rows.push_back({first[i].name, first[i].depth, static_cast<int64_t>(steps.size()), percentile(ms, 0.5), percentile(ms, 0.1), percentile(ms, 0.9)});
  }
  return rows;
}

}  // namespace gan
