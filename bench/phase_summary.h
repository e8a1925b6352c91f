#pragma once
// defines: percentile, PhaseSummary, summarize_phases — bench_step --breakdown's eager steps,
// each phase's GPU time over the steps that ran it, as a median and its spread. Plain C++ (no
// CUDA), so that the tests can hold the aggregation without a GPU.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "cuda/gpu_api.h"  // PhaseTime

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

// Each phase over the eager steps it ran in. Phases are matched by name and depth (and, should a
// step open one twice, by occurrence), never by position: a phase that only some steps run, such
// as the "epoch permutation" at an epoch's first step, gets a row of its own with the count of
// steps it ran in, and shifts no other phase. (Choosing eager steps inside one epoch instead
// would fail where an epoch has fewer steps than the window, one step at batch 8192 of
// MNIST-10k, and would hide work the step really does once an epoch.) Rows keep the steps'
// order: a phase first seen in a later step comes after the phase that preceded it there.
inline std::vector<PhaseSummary> summarize_phases(const std::vector<std::vector<PhaseTime>>& steps) {
  struct Key {
    std::string name;
    int depth;
    int occurrence;
    bool operator==(const Key& o) const { return name == o.name && depth == o.depth && occurrence == o.occurrence; }
  };
  std::vector<Key> order;                // the rows' keys, in the steps' order
  std::vector<std::vector<double>> ms;   // each row's times, one per step it ran in
  for (const std::vector<PhaseTime>& step : steps) {
    std::vector<Key> seen;
    size_t after = 0;  // where in `order` this step's next new phase goes
    for (const PhaseTime& phase : step) {
      Key key{phase.name, phase.depth, 0};
      for (const Key& k : seen) key.occurrence += k.name == key.name && k.depth == key.depth;
      seen.push_back(key);
      size_t row = static_cast<size_t>(std::find(order.begin(), order.end(), key) - order.begin());
      if (row == order.size()) {
        row = after;
        order.insert(order.begin() + static_cast<std::ptrdiff_t>(row), key);
        ms.insert(ms.begin() + static_cast<std::ptrdiff_t>(row), std::vector<double>{});
      }
      ms[row].push_back(phase.ms);
      after = row + 1;
    }
  }
  std::vector<PhaseSummary> rows;
  for (size_t i = 0; i < order.size(); ++i) {
    rows.push_back({order[i].name, order[i].depth, static_cast<int64_t>(ms[i].size()), percentile(ms[i], 0.5),
                    percentile(ms[i], 0.1), percentile(ms[i], 0.9)});
  }
  return rows;
}

}  // namespace gan
