#pragma once
// defines: launch_adam
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "adam_settings.h"

namespace gan {

// PyTorch's Adam (no weight decay, not amsgrad) over one flat buffer of n parameters:
//   m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2
//   p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
// t (>= 1) is read from device memory (*device_step, a field of StepControl in the trainer), so a captured CUDA graph applies the
// right bias corrections on every replay. The corrections are computed in double and rounded
// once, and the element arithmetic is rounded step by step without fused multiply-adds, as the
// CPU reference does: the two agree to the last bit but for the rare double pow() rounding.
// 16-byte vector loads where all four buffers are 16-byte aligned, a scalar path otherwise and
// for the tail. All buffers [n].
void launch_adam(float* params, const float* grads, float* exp_avg, float* exp_avg_sq, size_t n,
                 const AdamSettings& hyper, const uint64_t* device_step, cudaStream_t stream);

}  // namespace gan
