// bench_step: milliseconds per training step (D step + G step) of our trainer.
//
// usage: bench_step [--data DIR] [--batch 128] [--steps 200] [--warmup 20] [--threads 0]
//                   [--json FILE]
// Runs `warmup` steps, then times each of `steps` steps on its own and reports the median,
// the 10th and 90th percentiles, images/s and GFLOP/s (the step's FLOP count, see
// bench/RESULTS.md for how it is counted). Speed is measured here, never asserted in tests.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "cpu/cpu_trainer.h"
#include "data/dataset.h"
#include "train/schedule.h"
#include "util/error.h"

namespace {

// Multiply-adds of one step of the seed's step for an MLP (x2 for FLOPs):
//   D step: G forward (B), D forward (2B), D weight gradients (2B), D input gradients for all
//           layers but the first (2B)
//   G step: G forward (B), D forward (B), D input gradients for every layer (B), G weight
//           gradients (B), G input gradients for every layer but the first (B)
double step_flops(const gan::ModelSpec& spec, int64_t batch) {
  auto macs = [](const gan::NetworkSpec& n, bool skip_first) {
    double total = 0;
    for (size_t l = skip_first ? 1 : 0; l < n.layers.size(); ++l) total += double(n.layers[l].in) * n.layers[l].out;
    return total;
  };
  const double g = macs(spec.generator, false), d = macs(spec.discriminator, false);
  const double g_in = macs(spec.generator, true), d_in = macs(spec.discriminator, true);
  const double d_step = g + 2 * d + 2 * d + 2 * d_in;
  const double g_step = g + d + d + g + g_in;
  return 2.0 * batch * (d_step + g_step);
}

double percentile(std::vector<double> values, double q) {
  std::sort(values.begin(), values.end());
  const size_t index = std::min(values.size() - 1, static_cast<size_t>(q * (values.size() - 1) + 0.5));
  return values[index];
}

}  // namespace

int main(int argc, char** argv) {
  std::string data = "data/mnist", json_path;
  int64_t batch = 128, steps = 200, warmup = 20;
  int threads = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--data") data = value;
    else if (flag == "--batch") batch = std::atoll(value.c_str());
    else if (flag == "--steps") steps = std::atoll(value.c_str());
    else if (flag == "--warmup") warmup = std::atoll(value.c_str());
    else if (flag == "--threads") threads = std::atoi(value.c_str());
    else if (flag == "--json") json_path = value;
    else {
      std::fprintf(stderr, "bench_step: unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  try {
    const gan::Dataset dataset = gan::load_dataset(data);
    gan::TrainConfig config = gan::resolve_config("", {{"batch", std::to_string(batch)}});
    const gan::ModelSpec spec = gan::make_mlp_spec(config, dataset.height, dataset.width);
    gan::CpuTrainerOptions options;
    options.seed = 1;
    options.threads = threads;
    gan::CpuTrainer trainer(spec, dataset, options);
    gan::Schedule schedule{dataset.count, batch, true, 1000000, 0};

    std::vector<double> ms;
    for (int64_t s = 1; s <= warmup + steps; ++s) {
      const auto start = std::chrono::steady_clock::now();
      trainer.train_step(schedule.position(static_cast<uint64_t>(s)));
      const double elapsed = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      if (s > warmup) ms.push_back(elapsed);
    }
    const double median = percentile(ms, 0.5);
    const double flops = step_flops(spec, batch);
    nlohmann::json result = {{"trainer", trainer.description()},
                             {"batch", batch},
                             {"steps", steps},
                             {"ms_per_step_median", median},
                             {"ms_per_step_p10", percentile(ms, 0.1)},
                             {"ms_per_step_p90", percentile(ms, 0.9)},
                             {"images_per_s", batch / (median / 1000.0)},
                             {"flops_per_step", flops},
                             {"gflops_per_s", flops / (median / 1000.0) / 1e9}};
    std::printf("%s\n", result.dump(2).c_str());
    if (!json_path.empty()) std::ofstream(json_path) << result.dump(2) << "\n";
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_step: %s\n", e.what());
    return 1;
  }
  return 0;
}
