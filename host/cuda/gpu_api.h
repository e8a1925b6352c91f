#pragma once
// defines: ForwardPath, GpuTrainerOptions, make_gpu_trainer, gpu_dcgan_available — the GPU
// trainer as the rest of the program sees it
//
// Plain C++, no CUDA header, declared in every build. In a build without CUDA
// (cuda/no_cuda.cpp) make_gpu_trainer refuses with a message that says so, and
// gpu_dcgan_available() is false; cuda/device.h's visible_gpus() then lists no GPU.
#include <cstdint>
#include <memory>

#include "data/dataset.h"
#include "model/trainer.h"
#include "model/trainer_state.h"

namespace gan {

// How the MLP's linear layers run forward: cuBLAS GEMM + bias/activation epilogue, or the
// hand-written fused kernel. Both are checked against the CPU reference; benchmarks pick.
enum class ForwardPath { kCublas, kFused };

struct GpuTrainerOptions : StepOptions {
  int gpu = 0;              // device index
  int64_t max_batch = 128;  // buffers are sized for it
  bool tf32 = false;        // TF32 tensor cores in both GEMM paths
  bool graph = true;        // capture and replay the step (false: the same kernels, eagerly)
  ForwardPath forward = ForwardPath::kCublas;
  bool fused_batch_norm = false;  // the DCGAN's training BatchNorm: our fused kernels instead of cuDNN
  uint64_t profile_first = 0, profile_last = 0;  // cudaProfilerStart/Stop around these steps (0: none)
};

// A GpuTrainer (cuda/gpu_trainer.h) for spec.kind's model on options.gpu.
std::unique_ptr<Trainer> make_gpu_trainer(const ModelSpec& spec, const Dataset& dataset,
                                          const GpuTrainerOptions& options);

// Whether this build has the DCGAN's GPU trainer (CUDA, and cuDNN found when it was configured).
bool gpu_dcgan_available();

}  // namespace gan
