#pragma once
// defines: BenchChoices, read_bench_choice, bench_config, print_plan — what bench_step and
// bench_plan share: the model and GPU flags, parsed as gan train parses them, and a step plan
// (model/step_plan.h) printed with each kernel's predicted time
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "model/step_plan.h"
#include "train/config.h"

namespace gan {

// The benchmark's flags as gan train's keys (one table: train/config.cpp), so that a bad value is
// refused with gan train's message.
struct BenchChoices {
  int64_t batch = 128, channels = 1, image_size = 28;
  std::string model = "mlp", forward = "cublas", batch_norm = "cudnn", conv_algos = "heuristic";
  std::string dcgan_channels = "128,64";  // as gan train's --dcgan-channels (32/64 pixels: the base width)
  std::string cpu_gemm = "onednn";        // as gan train's --cpu-gemm
  bool tf32 = false, branches = false;
};
TrainConfig bench_config(const BenchChoices& choices);

// Takes `flag` and its value into `choices` if it is one of theirs (--model, --batch, --forward,
// --branches, --batchnorm, --conv-algos, --dcgan-channels, --cpu-gemm, --tf32, --image-size,
// --channels); false for any other flag.
bool read_bench_choice(const std::string& flag, const std::string& value, BenchChoices* choices);

// Prints the plan, a kernel a line with its predicted time at `rates`, and its totals under
// `title`; returns the same as JSON (the kernels, each phase's predicted time, the totals).
nlohmann::json print_plan(const std::vector<PlannedKernel>& plan, const PeakRates& rates, const std::string& title);

}  // namespace gan
