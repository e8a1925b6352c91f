#pragma once
// defines: launch_add_into
#include <cuda_runtime.h>

#include <cstddef>

namespace gan {

// y[i] += x[i] for i < n: one rounding per element, as the CPU's loop does. y must not alias x.
void launch_add_into(float* y, const float* x, size_t n, cudaStream_t stream);

}  // namespace gan
