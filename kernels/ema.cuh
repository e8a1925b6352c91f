#pragma once
// defines: launch_ema_update
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "ema_settings.h"

namespace gan {

// The average of G's weights (--ema) after G's update, over one flat buffer of n parameters:
//   ema = d ema + (1 - d) params,   d = ema_decay_at(decay, t)
// t (>= 1, G's update count) is read from device memory (*device_update: StepControl's Adam step
// of G in the trainer), so a captured CUDA graph applies the warm-up's decay on every replay. d
// and 1 - d are computed in double and rounded once; each product and the sum are rounded
// without fused multiply-adds, as the CPU reference (host/cpu/ops.h, ema_update) does: the two
// agree to the bit. ema, params [n].
void launch_ema_update(float* ema, const float* params, size_t n, double decay, const uint64_t* device_update,
                       cudaStream_t stream);

}  // namespace gan
