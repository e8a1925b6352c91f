#pragma once
// defines: ConvAlgorithms, ForwardPath, GpuModelOptions, GpuTrainerOptions, make_gpu_trainer, gpu_dcgan_available, PhaseTime,
// StepBreakdown, measure_step_breakdown, measure_peak_rates — the GPU trainer as the rest of the
// program sees it
//
// Plain C++, no CUDA header, declared in every build. In a build without CUDA
// (cuda/device.cpp) make_gpu_trainer refuses with a message that says so, and
// gpu_dcgan_available() is false; cuda/device.h's visible_gpus() then lists no GPU.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "model/step_plan.h"
#include "model/trainer.h"
#include "model/trainer_state.h"

namespace gan {

// How the DCGAN's convolution algorithms are chosen (--gpu-conv-algos):
//   kHeuristic           the first deterministic one in cuDNN's heuristic ranking: the default,
//                        the same pick and the same bits on every run;
//   kTimedDeterministic  the fastest deterministic one, timed by cuDNN's search on this card at
//                        start-up (each run is deterministic, but two runs may pick differently
//                        when two algorithms are close, and then differ in the last bits);
//   kTimedAny            the fastest of all; some use atomics, so the bits may change from run to
//                        run. The log says "NOT deterministic" beside such a pick.
enum class ConvAlgorithms { kHeuristic, kTimedDeterministic, kTimedAny };

// How the MLP's linear layers run forward: cuBLAS GEMM + bias/activation epilogue, or the
// hand-written fused kernel. Both are checked against the CPU reference; benchmarks pick.
enum class ForwardPath { kCublas, kFused };

// How the GPU runs a model's layers: --tf32, --gpu-forward, --gpu-batchnorm, --gpu-branches and
// --gpu-conv-algos, parsed once into TrainConfig::gpu_model and handed whole to the trainer,
// which hands it to its model (cuda/gpu_model.h).
struct GpuModelOptions {
  bool tf32 = false;  // TF32 tensor cores in GEMMs and convolutions
  ForwardPath forward = ForwardPath::kCublas;  // the MLP's linear layers
  bool fused_batch_norm = false;  // the DCGAN's training BatchNorm + activation: our kernels, not cuDNN
  // Independent work on side streams (cuda/streams.h): the MLP's G-step generator forward
  // beside the D step, each weight GEMM beside its input GEMM. The same kernels on the same
  // inputs, so the same bits; the DCGAN ignores it.
  bool branches = false;
  ConvAlgorithms conv_algorithms = ConvAlgorithms::kHeuristic;  // the DCGAN's; the MLP has none
};

struct GpuTrainerOptions : StepOptions, GpuModelOptions {
  int gpu = 0;              // device index
  int64_t max_batch = 128;  // buffers are sized for it
  bool graph = true;        // capture and replay the step (false: the same kernels, eagerly)
  uint64_t profile_first = 0, profile_last = 0;  // cudaProfilerStart/Stop around these steps (0: none)
};

// A GpuTrainer (cuda/gpu_trainer.h) for spec.kind's model on options.gpu.
std::unique_ptr<Trainer> make_gpu_trainer(const ModelSpec& spec, const Dataset& dataset,
                                          const GpuTrainerOptions& options);

// Whether this build has the DCGAN's GPU trainer (CUDA, and cuDNN found when it was configured).
bool gpu_dcgan_available();

// One named phase (an NvtxRange) of an eager step and its GPU time; depth 0 is the whole step.
struct PhaseTime {
  std::string name;
  int depth = 0;
  double ms = 0;
};

// Where a GPU step's time goes (bench_step --breakdown).
struct StepBreakdown {
  std::vector<std::vector<PhaseTime>> eager_steps;  // each eager step's phases, in order
  int64_t kernels_per_step = 0;  // kernel nodes in the step's captured graph
  int64_t nodes_per_step = 0;    // every node (kernels, memsets, copies)
  double graph_gpu_ms = 0;       // per step: the GPU's time for a block of graph replays
  double graph_host_ms = 0;      // per step: the host's time to launch them (the host limits when larger)
};

// Runs `eager` steps eagerly, each phase timed by CUDA events, then `replayed` steps as graph
// replays (their batch size must have had its first step already), timed as a block on the GPU
// and on the host. `trainer` must come from make_gpu_trainer (InternalError otherwise).
StepBreakdown measure_step_breakdown(Trainer& trainer, const std::vector<StepPosition>& eager,
                                     const std::vector<StepPosition>& replayed);

// The rates a step plan's predictions use (model/step_plan.h), measured on GPU `gpu`: cuBLAS's
// FP32 SGEMM on 4096x4096 matrices, a 256 MiB device-to-device copy, and the time per kernel of
// a graph of 200 tiny kernels in a row; each the median of several timed runs. Takes about a
// second. InputError in a build without CUDA.
PeakRates measure_peak_rates(int gpu);

}  // namespace gan
