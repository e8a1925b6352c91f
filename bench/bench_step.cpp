// bench_step: milliseconds per training step (D step + G step) of our CPU or GPU trainer.
//
// usage: bench_step [--device cpu|cuda] [--model mlp|dcgan] [--data DIR] [--batch 128] [--steps 200]
//                   [--warmup 20] [--threads 0] [--graph 1] [--tf32 0] [--forward cublas|fused]
//                   [--batchnorm cudnn|fused] [--gpu 0] [--json FILE] [--breakdown 0|1] [--branches 0|1]
//                   [--plan FILE] [--conv-algos heuristic|timed|timed-any] [--image-size 28] [--channels 1]
//                   [--dcgan-channels 128,64] [--synthetic N] [--cpu-gemm openblas|onednn]
// --image-size, --channels: an image folder's images (e.g. 64 and 3 for the 64x64 colour DCGAN);
// with --synthetic N, N random images of that size instead of --data (no files needed).
// CPU: each timed step on its own (a host clock). GPU: steps run in blocks of --block steps
// (default 50), each block timed from one read-back to the next (the trainer's last_stats waits
// for the device), so the time includes every launch and gap the host leaves; per-step times are
// block means. Reports the median, the 10th and 90th percentiles, images/s, GFLOP/s, and on the
// GPU the FP32 arithmetic floor (the step's FLOPs over the card's FP32 peak) and the share of it
// achieved. How the FLOPs are counted: bench/RESULTS.md. Speed is measured here, never asserted
// in tests.
// --breakdown 1 (GPU): after the timed blocks, where the step's time goes: 20 eager steps with
// each phase (data, G forward, D forward, loss, D backward, Adam D, the G step's phases, Adam G)
// between CUDA events, reported as medians over the steps that ran it (bench/phase_summary.h);
// the kernels and nodes of the step's graph; and a block of graph replays timed on the GPU beside
// the host's time to launch them (when the host takes longer, the host is the limit, not the
// kernels).
// --conv-algos (GPU, DCGAN): how cuDNN's algorithms are chosen (GpuTrainerOptions::conv_algorithms).
// --branches 1 (GPU, MLP): independent work on side streams (GpuTrainerOptions::branches).
// --plan FILE (GPU): the step's plan as bench_plan wrote it (read from the recorded step; call by
// call), each kernel with its FLOPs, bytes and its time predicted at the rates measured on this
// card first (measure_peak_rates); with --breakdown, each phase's prediction beside its measured
// eager time. (bench_plan alone prints the plan at the H200's nominal rates, on any machine.)
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cpu/blas_core.h"
#include "cpu/cpu_trainer.h"
#include "cuda/device.h"
#include "cuda/gpu_api.h"
#include "data/dataset.h"
#include "model/step_plan.h"
#include "phase_summary.h"
#include "plan_report.h"
#include "train/config.h"
#include "train/schedule.h"
#include "util/error.h"
#include "util/memory.h"

namespace {

// --breakdown: the phases' medians over 20 eager steps, the graph's kernel count, and a block of
// `replays` graph replays on the GPU and on the host. Printed as a table too.
nlohmann::json breakdown_json(gan::Trainer& trainer, const gan::Schedule& schedule, uint64_t* step, int64_t replays) {
  std::vector<gan::StepPosition> eager, replayed;
  for (int i = 0; i < 20; ++i) eager.push_back(schedule.position(++*step));
  // Every batch has the size the graph was captured at: the schedule drops an epoch's smaller last one.
  for (int64_t i = 0; i < replays; ++i) replayed.push_back(schedule.position(++*step));
  const gan::StepBreakdown measured = gan::measure_step_breakdown(trainer, eager, replayed);
  nlohmann::json phases = nlohmann::json::array();
  // "steps": how many of the eager steps ran the phase (the epoch permutation runs in an epoch's
  // first step only).
  std::printf("%-52s %6s %10s %10s %10s\n", "phase (eager, CUDA events)", "steps", "median ms", "p10", "p90");
  for (const gan::PhaseSummary& p : gan::summarize_phases(measured.eager_steps)) {
    const std::string name = std::string(2 * static_cast<size_t>(p.depth), ' ') + p.name;
    std::printf("%-52s %6lld %10.4f %10.4f %10.4f\n", name.c_str(), static_cast<long long>(p.steps), p.median_ms,
                p.p10_ms, p.p90_ms);
    phases.push_back({{"phase", p.name}, {"depth", p.depth}, {"steps", p.steps}, {"median_ms", p.median_ms},
                      {"p10_ms", p.p10_ms}, {"p90_ms", p.p90_ms}});
  }
  std::printf("graph: %lld kernels, %lld nodes per step; replays: GPU %.4f ms, host %.4f ms per step (%s)\n",
              static_cast<long long>(measured.kernels_per_step), static_cast<long long>(measured.nodes_per_step),
              measured.graph_gpu_ms, measured.graph_host_ms,
              measured.graph_host_ms > measured.graph_gpu_ms ? "the host is the limit" : "the GPU is the limit");
  return {{"eager_steps", measured.eager_steps.size()}, {"phases", phases},
          {"kernels_per_step", measured.kernels_per_step}, {"nodes_per_step", measured.nodes_per_step},
          {"replays", replayed.size()}, {"graph_gpu_ms_per_step", measured.graph_gpu_ms},
          {"graph_host_ms_per_step", measured.graph_host_ms},
          {"host_is_the_limit", measured.graph_host_ms > measured.graph_gpu_ms}};
}

// --plan FILE: the plan bench_plan wrote, predicted at `rates` and printed.
nlohmann::json plan_json(const std::string& path, const gan::PeakRates& rates) {
  std::ifstream in(path);
  if (!in) throw gan::InputError("--plan " + path + ": cannot read it (bench_plan --json writes it)");
  nlohmann::json written;
  try {
    in >> written;
  } catch (const std::exception& e) {
    throw gan::InputError("--plan " + path + ": not JSON (" + e.what() + ")");
  }
  if (!written.is_object() || !written.contains("kernels")) throw gan::InputError("--plan " + path + ": no \"kernels\"");
  const std::vector<gan::PlannedKernel> plan = gan::plan_from_json(written["kernels"], "--plan " + path);
  return gan::print_plan(plan, rates, written.value("title", path));
}

// Each planned phase's predicted time beside its measured eager median (phases the plan does not
// name, such as the whole step, are skipped).
void print_plan_beside_breakdown(const nlohmann::json& plan, const nlohmann::json& breakdown, bool branches) {
  std::printf("%-52s %12s %12s\n", "phase", "predicted ms", "eager ms");
  // With branches, phases on side streams run beside others: their times overlap, and a phase's
  // prediction sums its kernels on every lane.
  if (branches) std::printf("(branches: phases overlap, so they add up to more than the step)\n");
  for (const nlohmann::json& phase : breakdown["phases"]) {
    const std::string name = phase["phase"];
    if (!plan["predicted_ms_by_phase"].contains(name)) continue;
    std::printf("%-52s %12.4f %12.4f\n", name.c_str(), plan["predicted_ms_by_phase"][name].get<double>(),
                phase["median_ms"].get<double>());
  }
}

double elapsed_ms(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

int main(int argc, char** argv) {
  const std::string blas_note = gan::choose_cpu_libraries(argv);  // as gan does (cpu/blas_core.h)
  if (!blas_note.empty()) std::fprintf(stderr, "bench_step: %s\n", blas_note.c_str());
  if (!std::getenv("GAN_BENCH_RETURN_FREED_MEMORY")) gan::keep_freed_memory();  // as gan does (util/memory.h)
  gan::BenchChoices choices;
  std::string data = "data/mnist", json_path, device = "cpu", plan_path;
  int64_t steps = 200, warmup = 20, block = 50, synthetic = 0;
  int threads = 0, gpu = 0;
  bool graph = true, breakdown = false;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (gan::read_bench_choice(flag, value, &choices)) continue;  // the model and GPU flags, as bench_plan's
    if (flag == "--data") data = value;
    else if (flag == "--device") device = value;
    else if (flag == "--steps") steps = std::atoll(value.c_str());
    else if (flag == "--warmup") warmup = std::atoll(value.c_str());
    else if (flag == "--block") block = std::atoll(value.c_str());
    else if (flag == "--threads") threads = std::atoi(value.c_str());
    else if (flag == "--gpu") gpu = std::atoi(value.c_str());
    else if (flag == "--graph") graph = value != "0" && value != "false";
    else if (flag == "--json") json_path = value;
    else if (flag == "--breakdown") breakdown = value == "1" || value == "true";
    else if (flag == "--plan") plan_path = value;
    else if (flag == "--synthetic") synthetic = std::atoll(value.c_str());
    else {
      std::fprintf(stderr, "bench_step: unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  const int64_t image_size = choices.image_size;
  const int64_t batch = choices.batch;
  const bool branches = choices.branches, plan = !plan_path.empty();
  if ((argc - 1) % 2 != 0 || (device != "cpu" && device != "cuda") || batch < 1 || steps < 1 || warmup < 0 ||
      block < 1 ||
      // (--model, --forward, --batchnorm and --conv-algos are checked as gan train's keys, below.)
      // The plan predicts the FP32 step on a card; branches are the MLP's.
      (plan && (choices.tf32 || device != "cuda")) || (branches && choices.model != "mlp")) {
    std::fprintf(stderr, "bench_step: bad arguments (see the usage at the top of bench/bench_step.cpp)\n");
    return 2;
  }
  try {
    // --image-size and --channels: how an image folder's files become images (the 64x64 DCGAN).
    gan::Dataset dataset;
    if (synthetic > 0) {  // random bytes: a step's time does not depend on the pixels
      dataset.name = "synthetic";
      dataset.images_path = "synthetic images";
      dataset.count = synthetic;
      dataset.height = dataset.width = static_cast<int>(image_size);
      dataset.channels = static_cast<int>(choices.channels);
      dataset.pixels.resize(static_cast<size_t>(synthetic * dataset.pixels_per_image()));
      for (size_t i = 0; i < dataset.pixels.size(); ++i) dataset.pixels[i] = static_cast<uint8_t>((i * 2654435761u) >> 24);
    } else {
      dataset = gan::load_dataset(data, "train",
                                  gan::ImageOptions{static_cast<int>(image_size), static_cast<int>(choices.channels), true});
    }
    const gan::TrainConfig config = gan::bench_config(choices);  // as gan train parses them
    const gan::ModelSpec spec = gan::make_model_spec(config, dataset.height, dataset.width);
    const gan::Schedule schedule{dataset.count, batch, true, 1000000, 0};
    if (batch > dataset.count) throw gan::InputError("--batch " + std::to_string(batch) + " > the data's " + std::to_string(dataset.count) + " images");
    const double flops = gan::step_flops(spec, batch);
    nlohmann::json result = {{"device", device}, {"model", choices.model}, {"batch", batch}, {"steps", steps},
                             {"flops_per_step", flops}};

    std::unique_ptr<gan::Trainer> trainer;
    std::vector<double> ms;  // per step (CPU) or per block mean (GPU)
    uint64_t step = 0;
    if (device == "cpu") {
      gan::CpuTrainerOptions options;
      options.seed = 1;
      options.threads = threads;
      options.gemm = config.cpu_gemm;
      trainer = std::make_unique<gan::CpuTrainer>(spec, dataset, options);
      for (int64_t s = 1; s <= warmup + steps; ++s) {
        const auto start = std::chrono::steady_clock::now();
        trainer->train_step(schedule.position(++step));
        if (s > warmup) ms.push_back(elapsed_ms(start));
      }
    } else {
      std::string why;
      const std::vector<gan::GpuInfo> gpus = gan::visible_gpus(&why);
      if (gpus.empty()) throw gan::InputError("--device cuda: no GPU visible (" + why + ")");
      if (gpu < 0 || gpu >= static_cast<int>(gpus.size())) throw gan::InputError("--gpu " + std::to_string(gpu) + ": no such GPU");
      if (plan) result["plan"] = plan_json(plan_path, gan::measure_peak_rates(gpu));
      gan::GpuTrainerOptions options;
      options.seed = 1;
      options.gpu = gpu;
      options.max_batch = batch;
      options.graph = graph;
      static_cast<gan::GpuModelOptions&>(options) = config.gpu_model;
      trainer = gan::make_gpu_trainer(spec, dataset, options);
      for (int64_t s = 0; s < warmup; ++s) trainer->train_step(schedule.position(++step));
      trainer->last_stats();
      for (int64_t done = 0; done < steps; done += block) {
        const int64_t n = std::min(block, steps - done);
        const auto start = std::chrono::steady_clock::now();
        for (int64_t s = 0; s < n; ++s) trainer->train_step(schedule.position(++step));
        trainer->last_stats();  // waits for the device
        ms.push_back(elapsed_ms(start) / static_cast<double>(n));
      }
      if (breakdown) {
        if (!graph) throw gan::InputError("--breakdown times graph replays too: drop --graph 0");
        result["breakdown"] = breakdown_json(*trainer, schedule, &step, steps);
        if (plan) print_plan_beside_breakdown(result["plan"], result["breakdown"], branches);
      }
      const double peak = gan::fp32_peak_flops(gpus[static_cast<size_t>(gpu)]);
      result["gpu"] = gpus[static_cast<size_t>(gpu)].name;
      result["graph"] = graph;
      result["tf32"] = choices.tf32;
      result["forward"] = choices.forward;
      result["branches"] = branches;
      if (choices.model == "dcgan") {
        result["batchnorm"] = choices.batch_norm;
        result["conv_algos"] = choices.conv_algos;
      }
      result["block"] = block;
      if (peak > 0) {
        result["fp32_peak_tflops"] = peak / 1e12;
        result["fp32_floor_ms"] = flops / peak * 1e3;
      }
    }
    const double median = gan::percentile(ms, 0.5);
    result["trainer"] = trainer->description();
    result["ms_per_step_median"] = median;
    result["ms_per_step_p10"] = gan::percentile(ms, 0.1);
    result["ms_per_step_p90"] = gan::percentile(ms, 0.9);
    result["images_per_s"] = batch / (median / 1000.0);
    result["gflops_per_s"] = flops / (median / 1000.0) / 1e9;
    if (result.contains("fp32_floor_ms")) result["share_of_fp32_floor"] = result["fp32_floor_ms"].get<double>() / median;
    const gan::StepStats stats = trainer->last_stats();
    result["final_d_loss"] = stats.d_loss;
    result["final_g_loss"] = stats.g_loss;
    std::printf("%s\n", result.dump(2).c_str());
    if (!json_path.empty()) std::ofstream(json_path) << result.dump(2) << "\n";
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_step: %s\n", e.what());
    return 1;
  }
  return 0;
}
