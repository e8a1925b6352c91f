#pragma once
// defines: GpuTrainer — the seed's GAN step resident on the GPU (options: cuda/gpu_api.h)
//
// The same step as CpuTrainer (docs/ARCHITECTURE.md), from the kernels, cuBLAS and (for
// the DCGAN) cuDNN, on one stream (with branches, independent work forks onto side streams and
// joins back), with no host synchronisation inside it: the data set lives on the device, the epoch's permutation is
// sorted there, the noise is drawn there, the losses stay there until the loop asks for them.
// The step is captured into a CUDA graph once per batch size (the full batch and the epoch's
// last, smaller one), after one eager step at that size, and replayed; the values that change per step (noise key, batch offset,
// Adam's t) are written into device memory by one tiny kernel before each replay.
#include <cuda_runtime.h>

#include <map>
#include <memory>
#include <set>

#include "adam_settings.h"
#include "bce.cuh"
#include "cuda/blas.h"
#include "cuda/resources.h"
#include "cuda/gpu_api.h"
#include "cuda/gpu_model.h"
#include "cuda/streams.h"
#include "data/dataset.h"
#include "model/trainer.h"
#include "model/trainer_state.h"
#include "step_control.cuh"

namespace gan {

class GpuTrainer : public Trainer {
 public:
  // Initialises both networks from the seed exactly as the CPU trainer does, and uploads them and
  // the data set. `dataset` is only read here. spec.kind picks the model (gpu_model.h).
  GpuTrainer(const ModelSpec& spec, const Dataset& dataset, const GpuTrainerOptions& options);
  ~GpuTrainer() override;
  GpuTrainer(const GpuTrainer&) = delete;
  GpuTrainer& operator=(const GpuTrainer&) = delete;

  std::string description() const override;
  const ModelSpec& spec() const override { return spec_; }
  void train_step(const StepPosition& position) override;
  StepStats last_stats() override;
  uint64_t first_nonfinite_step() override { return first_nonfinite_step_; }
  void generate(const float* z, const int32_t* labels, int64_t count, float* images) override;
  StepTrace last_step_trace(bool with_gradients) override;
  TrainerState state() override;
  void load_state(const TrainerState& state) override;

  // The one allocation of the trainer's buffers, and its layout.
  const DeviceArena& arena() const { return arena_; }

  // measure_step_breakdown (cuda/gpu_api.h) for this trainer.
  StepBreakdown measure_breakdown(const std::vector<StepPosition>& eager, const std::vector<StepPosition>& replayed);

 private:
  struct NetworkBuffers {
    float *params = nullptr, *grads = nullptr, *exp_avg = nullptr, *exp_avg_sq = nullptr;
    float* buffers = nullptr;  // running statistics (null when the network has none)
    size_t count = 0, buffer_count = 0;
    GpuNetwork network(const NetworkSpec& spec) const { return {&spec, params, grads, buffers}; }
  };
  // What the step reads back every log interval, in pinned host memory.
  struct Readback {
    BceDeviceStats d_stats, g_stats;
    StepControl control;
  };

  void plan_and_allocate(const Dataset& dataset);
  void enqueue_step(int64_t batch);  // the step's kernels, in order, on stream_ (and the side streams)
  // Under spectral norm: D's parameters with each weight W replaced by W / sigma into
  // d_normalised_ (after one power iteration when `iterate`), and the backward that turns the
  // gradients of W / sigma in D's grads into those of W.
  void enqueue_spectral_norm(bool iterate);
  void enqueue_spectral_norm_backward();
  // The G step's noise z_g, and G(z_g) when the model's generator forward is separable.
  void enqueue_generator_forward(int64_t batch, cudaStream_t stream, const CublasHandle& blas);
  cudaGraph_t capture_step(int64_t batch);  // the step's kernels at this batch size, as a graph
  cudaGraphExec_t graph_for(int64_t batch);
  void read_back();  // waits for the stream; refreshes readback_ and first_nonfinite_step_
  void upload_state(const TrainerState& state);
  void release() noexcept;  // what the destructor frees; also when the constructor fails

  ModelSpec spec_;
  GpuTrainerOptions options_;
  std::string device_name_;
  int64_t images_ = 0;
  cudaStream_t stream_ = nullptr;
  std::unique_ptr<CublasHandle> blas_;
  std::unique_ptr<GpuGanModel> model_;
  std::unique_ptr<SideStream> generator_branch_;  // with branches and a separable generator forward
  GpuAugment augment_;                            // DiffAugment's draws, which the model's passes use
  DeviceArena arena_;

  NetworkBuffers g_, d_;
  uint8_t* images_device_ = nullptr;   // [N, H*W]
  uint8_t* labels_device_ = nullptr;   // [N]: the data's classes (conditional only)
  uint32_t* order_ = nullptr;          // [N]: this epoch's permutation
  char* sort_workspace_ = nullptr;
  size_t sort_workspace_bytes_ = 0;
  float *z_d_ = nullptr, *z_g_ = nullptr;  // [B, latent]
  float* generator_ema_ = nullptr;         // [G's parameters]: their average (--ema only)
  float* d_normalised_ = nullptr;          // [D's parameters], weights as W / sigma (--spectral-norm only)
  float* sigmas_ = nullptr;                // [D's weights under spectral norm]: each one's sigma
  double* spectral_scratch_ = nullptr;     // spectral norm's partial sums, for one weight at a time
  BceDeviceStats *d_stats_ = nullptr, *g_stats_ = nullptr;
  StepControl* control_ = nullptr;
  Readback* readback_ = nullptr;       // pinned

  std::map<int64_t, cudaGraphExec_t> graphs_;  // by batch size
  std::set<int64_t> warmed_up_;                 // batch sizes that have had their eager first step
  uint64_t order_epoch_ = UINT64_MAX;
  int64_t adam_step_d_ = 0, adam_step_g_ = 0;
  int64_t last_batch_ = 0;
  uint64_t last_step_ = 0;
  uint64_t first_nonfinite_step_ = 0;
  bool profiling_ = false;
};

}  // namespace gan
