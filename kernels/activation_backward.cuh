#pragma once
// defines: launch_activation_backward
#include <cuda_runtime.h>

#include <cstdint>

#include "activation.cuh"

namespace gan {

// From the activation's output Y alone:
//   dZ[B, out] = dY[B, out] * act'(Y)   (LeakyReLU: Y > 0 ? 1 : slope; Tanh: 1 - Y^2)
//   db[out]    = column sums of dZ, in a fixed order (no atomics: the same bits every run);
//                skipped when db is null.
// dZ may alias dY, and Y both (each element is read before it is written, by the same thread).
void launch_activation_backward(Activation activation, float slope, const float* Y, const float* dY, float* dZ,
                                float* db, int64_t B, int64_t out, cudaStream_t stream);

}  // namespace gan
