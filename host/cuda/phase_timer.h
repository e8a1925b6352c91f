#pragma once
// defines: NvtxRange, PhaseTimer, active_phase_timer — the named phases of the step: ranges on
// Nsight's timeline, and their GPU time from CUDA events (bench_step --breakdown)
//
// NvtxRange is a named range for as long as the object lives (a phase of the step, recorded
// when the step is enqueued or captured, or a whole step). While a PhaseTimer is active on this
// thread, every NvtxRange that opens
// outside a graph capture also records a CUDA event where it opens and where it closes, on the
// timer's stream or on the side stream the range names (GpuTrainerOptions::branches). collect() waits for the stream and returns each range's GPU time. The events
// are the only cost, and only while timing: the training step itself is unchanged.
#include <cuda_runtime.h>
#include <nvtx3/nvToolsExt.h>

#include <string>
#include <vector>

#include "cuda/gpu_api.h"  // PhaseTime
#include "cuda_check.cuh"   // capturing_graph

namespace gan {

class PhaseTimer {
 public:
  explicit PhaseTimer(cudaStream_t stream) : stream_(stream) {}
  ~PhaseTimer();
  PhaseTimer(const PhaseTimer&) = delete;
  PhaseTimer& operator=(const PhaseTimer&) = delete;

  // A range opens: records its start event on `stream`, or on the timer's stream when null
  // (its end event goes on the same stream).
  void open(const char* name, cudaStream_t stream = nullptr);
  // The innermost open range closes: records its end event. Never throws (it runs in
  // destructors, perhaps while an exception unwinds); a failure is reported by collect().
  void close() noexcept;

  // Waits for every range's end; the ranges recorded since the last call, in the order they opened.
  std::vector<PhaseTime> collect();

 private:
  cudaEvent_t event();  // from the pool, created on first use

  struct Range {
    std::string name;
    int depth = 0;
    cudaStream_t stream = nullptr;
    cudaEvent_t start = nullptr, end = nullptr;
  };
  cudaStream_t stream_;
  std::vector<Range> ranges_;
  std::vector<size_t> open_;  // indices into ranges_ of the ranges still open
  std::vector<cudaEvent_t> pool_;
  size_t used_ = 0;           // events of the pool handed out since the last collect()
  std::string close_error_;   // what went wrong in close(), for collect() to throw
};

// The timer NvtxRange reports to on this thread (null: none).
inline thread_local PhaseTimer* active_phase_timer = nullptr;

class NvtxRange {
 public:
  explicit NvtxRange(const char* name) : NvtxRange(name, nullptr) {}
  // A phase enqueued on `stream` rather than the timer's (a side stream): timed there.
  NvtxRange(const char* name, cudaStream_t stream) : timer_(capturing_graph ? nullptr : active_phase_timer) {
    nvtxRangePushA(name);
    if (timer_) timer_->open(name, stream);
  }
  ~NvtxRange() {
    nvtxRangePop();
    if (timer_) timer_->close();
  }
  NvtxRange(const NvtxRange&) = delete;
  NvtxRange& operator=(const NvtxRange&) = delete;

 private:
  PhaseTimer* timer_;
};

}  // namespace gan
