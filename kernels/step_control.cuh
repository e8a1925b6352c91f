#pragma once
// defines: StepControl, launch_set_step_control, launch_record_nonfinite
//
// What changes from one step to the next, kept in device memory so that one captured CUDA graph
// serves every step: the kernels of the step read these fields (the noise key, the batch's
// place in the epoch's order, each Adam's t) instead of taking them as launch arguments.
#include <cuda_runtime.h>

#include <cstdint>

#include "bce.cuh"

namespace gan {

struct StepControl {
  uint64_t step;                  // 1-based step of the run
  uint64_t noise_key;             // Philox "step" of this step's noise (StepPosition::noise_key)
  uint64_t offset;                // first position of the batch in the epoch's order
  uint64_t adam_step_d;           // t of D's Adam update in this step (>= 1)
  uint64_t adam_step_g;           // t of G's Adam update in this step (>= 1)
  uint64_t first_nonfinite_step;  // first step whose losses were not finite, or 0
};

// Writes this step's values into *control (one thread; the arguments are copied at launch, so
// the host may reuse its variables at once). Enqueued before each replay of the step's graph.
void launch_set_step_control(StepControl* control, uint64_t step, uint64_t noise_key, uint64_t offset,
                             uint64_t adam_step_d, uint64_t adam_step_g, cudaStream_t stream);

// If any loss of the step is not finite and none was before, records control->step as the
// first non-finite step. The host reads it back with the losses, every log interval.
void launch_record_nonfinite(const BceDeviceStats* d_stats, const BceDeviceStats* g_stats, StepControl* control,
                             cudaStream_t stream);

}  // namespace gan
