#pragma once
// defines: NvtxRange — a named range on Nsight's timeline for as long as the object lives (a
// phase of the step, recorded when the step is enqueued or captured, or a whole step); while a
// PhaseTimer is active on this thread (and no graph is being captured), also timed on the GPU
#include <nvtx3/nvToolsExt.h>

#include "cuda/phase_timer.h"
#include "cuda_check.cuh"  // capturing_graph

namespace gan {

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
