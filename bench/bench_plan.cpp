// bench_plan: the GPU step's plan (model/step_plan.h), read from a real step of the GPU trainer on
// the recording back end (tests/recorder/derived_plan.h): each kernel of the step with its phase,
// stream, FLOPs, bytes and what it waits for, and its time predicted at the H200's nominal rates.
// Needs no GPU: the trainer's host code runs here with the device calls recorded, not made.
//
// usage: bench_plan [--model mlp|dcgan] [--batch 128] [--forward cublas|fused] [--branches 0|1]
//                   [--batchnorm cudnn|fused] [--conv-algos heuristic|timed|timed-any]
//                   [--image-size 28] [--channels 1] [--dcgan-channels 128,64] [--graph 1]
//                   [--tf32 0] [--cpu-gemm onednn] [--json FILE]
// The flags mean what bench_step's do (plan_report.h reads them for both). --json writes the plan; bench_step --plan FILE reads it,
// predicts each kernel at the rates it measured on the card, and prints the prediction beside
// the phases it timed (tools/device_check.sh runs the two in turn).
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "model/model_spec.h"
#include "plan_report.h"
#include "recorder/derived_plan.h"

int main(int argc, char** argv) {
  gan::BenchChoices choices;
  std::string json_path;
  bool graph = true;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (gan::read_bench_choice(flag, value, &choices)) continue;
    if (flag == "--graph") graph = value != "0" && value != "false";
    else if (flag == "--json") json_path = value;
    else {
      std::fprintf(stderr, "bench_plan: unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  const int64_t image_size = choices.image_size;
  if ((argc - 1) % 2 != 0 || choices.batch < 1 || image_size < 1 || (choices.branches && choices.model != "mlp")) {
    std::fprintf(stderr, "bench_plan: bad arguments (see the usage at the top of bench/bench_plan.cpp)\n");
    return 2;
  }
  try {
    const gan::TrainConfig config = gan::bench_config(choices);
    const gan::ModelSpec spec = gan::make_model_spec(config, image_size, image_size);
    gan::GpuTrainerOptions options;
    options.seed = 1;
    options.graph = graph;
    static_cast<gan::GpuModelOptions&>(options) = config.gpu_model;
    const gan::recorder::DerivedPlan plan = gan::recorder::derive_step_plan(spec, options, choices.batch);
    const std::string how = choices.model == "dcgan" ? choices.batch_norm + " BatchNorm"
                                                      : choices.forward + " forward" +
                                                            (choices.branches ? ", branches" : "");
    const std::string title = std::string(gan::model_kind_name(spec.kind)) + " step at batch " +
                              std::to_string(choices.batch) + ", " + how + " (read from the recorded step)";
    nlohmann::json result = gan::print_plan(plan.kernels, gan::nominal_h200_rates(), title);
    result["model"] = choices.model;
    result["batch"] = choices.batch;
    result["flops_per_step"] = gan::step_flops(spec, choices.batch);
    if (!json_path.empty()) {
      std::ofstream out(json_path);
      out << result.dump(2) << "\n";
      if (!out) throw gan::InputError("cannot write " + json_path);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_plan: %s\n", e.what());
    return 1;
  }
  return 0;
}
